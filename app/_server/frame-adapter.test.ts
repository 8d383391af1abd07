import { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { OneBufferFrameAdapter } from './frame-adapter';

type Encode = (packet: unknown, options: { wsPreEncodedFrame?: Buffer[] }) => unknown[];
const encoderOf = (io: Server) => {
  const adapter = io.of('/').adapter as unknown as { _encode: Encode };
  return adapter._encode.bind(adapter);
};

/** A broadcast as socket.io hands it to the adapter: an EVENT packet of the default namespace. */
const packet = (data: unknown) => ({ type: 2, data: ['points', data], nsp: '/' });

describe('OneBufferFrameAdapter', () => {
  const plain = encoderOf(new Server({ serveClient: false }));
  const merged = encoderOf(new Server({ serveClient: false, adapter: OneBufferFrameAdapter }));

  it('leaves the same bytes as socket.io’s own adapter, in one buffer', () => {
    // Payloads under 126 bytes, under 64 KiB and over it: three lengths of frame header.
    for (const data of [{ w: 1 }, { text: 'x'.repeat(1_000) }, { text: 'é€𝄞'.repeat(8_000) }]) {
      const own: { wsPreEncodedFrame?: Buffer[] } = {};
      const ours: { wsPreEncodedFrame?: Buffer[] } = {};
      expect(merged(packet(data), ours)).toEqual(plain(packet(data), own));
      // socket.io's adapter still builds a frame of a header and a payload: else nothing to merge.
      expect(own.wsPreEncodedFrame).toHaveLength(2);
      expect(ours.wsPreEncodedFrame).toHaveLength(1);
      expect(ours.wsPreEncodedFrame![0]!.equals(Buffer.concat(own.wsPreEncodedFrame!))).toBe(true);
    }
  });

  it('leaves a packet with binary data to be framed per socket, as before', () => {
    const options: { wsPreEncodedFrame?: Buffer[] } = {};
    const encoded = merged(packet({ blob: Buffer.from([1, 2, 3]) }), options);
    expect(encoded.length).toBeGreaterThan(1);
    expect(options.wsPreEncodedFrame).toBeUndefined();
  });
});
