// The bare TCP echo server the switch benchmark measures its ceiling with: every byte that arrives goes straight
// back, so framed requests come back as the same frames with no parsing at all. Whatever rate the load generator
// reaches against it is the most this box (loopback, generator, event loop) could carry, switch or no switch.
import net from 'node:net';

export interface EchoServer {
  port: number;
  /** Bytes echoed so far. */
  bytes(): number;
  close(): Promise<void>;
}

/** Connections held at once; beyond it new ones are closed at accept. */
const MAX_CONNECTIONS = 1024;

export function startEchoServer(opts: { port?: number; host?: string } = {}): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  let echoed = 0;
  const server = net.createServer({ noDelay: true }, (s) => {
    if (sockets.size >= MAX_CONNECTIONS) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('data', (d) => {
      echoed += d.length;
      // The peer is the load generator reading as fast as it can; if it stops reading, pause until it drains.
      if (!s.write(d)) {
        s.pause();
        s.once('drain', () => s.resume());
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        bytes: () => echoed,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
