/**
 * socket.io's in-memory adapter, with each broadcast's WebSocket frame in one buffer.
 *
 * For a broadcast whose packet encodes to one string (every relayed notice: app/_server/live.ts),
 * the adapter frames it once, as ws's `Sender.frame` does (a header buffer and the payload
 * buffer), and engine.io writes that same frame to every WebSocket in the room. ws writes a frame
 * of two buffers as a cork, two writes and an uncork, for each socket; a frame of one buffer is
 * one write. The payload is copied once per broadcast (a board update is about a kilobyte) to
 * save that work for each of thousands of sockets. Measured by `npm run bench:sockets --
 * --clients 1000,10000 --fanouts 5`, two runs of each, alternating, in one session: the web
 * process's CPU per fan-out to 10,000 clients went from 200 and 240 ms to 160 and 170 ms
 * (docs/benchmarks.md, "Live sockets").
 *
 * The frame is built by the adapter's `_encode`, which socket.io-adapter does not export as API:
 * it is wrapped here, not rewritten, and frame-adapter.test.ts fails if it stops leaving a frame
 * to merge (an upgrade that changes it is then seen, not silently slower).
 */
import { Adapter } from 'socket.io-adapter';

/** What `_encode` is given: the broadcast's options, where it leaves the pre-built frame. */
interface PacketOptions {
  wsPreEncodedFrame?: Buffer[];
}
type Encode = (packet: unknown, options: PacketOptions) => unknown[];

export class OneBufferFrameAdapter extends Adapter {
  constructor(nsp: ConstructorParameters<typeof Adapter>[0]) {
    super(nsp);
    const adapter = this as unknown as { _encode: Encode };
    const encode = adapter._encode.bind(this);
    adapter._encode = (packet, options) => {
      const encoded = encode(packet, options);
      const frame = options.wsPreEncodedFrame;
      if (frame && frame.length > 1) options.wsPreEncodedFrame = [Buffer.concat(frame)];
      return encoded;
    };
  }
}
