/*
 * A real Kafka protocol peer for tests, without Docker: librdkafka's mock cluster.
 *
 *   mock-cluster BROKERS TOPIC PARTITIONS
 *
 * Prints the bootstrap servers on the first line of stdout, then reads commands on stdin,
 * answering "ok" (or "error: ...") to each:
 *   down ID | up ID                        take broker ID (1..BROKERS) down or up
 *   rtt ID MS                              delay broker ID's responses by MS milliseconds
 *   topic NAME PARTITIONS                  create another topic
 *   errors APIKEY COUNT CODE               make the next COUNT requests of APIKEY fail with CODE
 *   quit                                   (or end of input) destroy the cluster and exit
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s BROKERS TOPIC PARTITIONS\n", argv[0]);
    return 2;
  }
  int brokers = atoi(argv[1]);
  int partitions = atoi(argv[3]);
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  if (rd_kafka_mock_topic_create(mc, argv[2], partitions, brokers < 3 ? brokers : 3)) {
    fprintf(stderr, "could not create topic %s\n", argv[2]);
    return 1;
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    int id, count, code, apikey, parts;
    char name[256];
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "down %d", &id) == 1) {
      err = rd_kafka_mock_broker_set_down(mc, id);
    } else if (sscanf(line, "up %d", &id) == 1) {
      err = rd_kafka_mock_broker_set_up(mc, id);
    } else if (sscanf(line, "rtt %d %d", &id, &count) == 2) {
      err = rd_kafka_mock_broker_set_rtt(mc, id, count);
    } else if (sscanf(line, "topic %255s %d", name, &parts) == 2) {
      err = rd_kafka_mock_topic_create(mc, name, parts, brokers < 3 ? brokers : 3);
    } else if (sscanf(line, "errors %d %d %d", &apikey, &count, &code) == 3) {
      for (int i = 0; i < count; i++) rd_kafka_mock_push_request_errors(mc, apikey, 1, (rd_kafka_resp_err_t)code);
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      printf("error: unknown command\n");
      fflush(stdout);
      continue;
    }
    if (err) printf("error: %s\n", rd_kafka_err2str(err));
    else printf("ok\n");
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
