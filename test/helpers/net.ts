/** Network helpers shared by the tests. */
import { createServer } from 'node:net';

/** A loopback port nothing listens on (taken from the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
    s.on('error', rej);
  });
}
