/**
 * A TCP proxy in front of scripts/pglite-server.ts that lets one client connection at a time
 * talk to it: from a client's first bytes until the server answers ReadyForQuery with status
 * 'I' (idle, not in a transaction), other connections wait.
 *
 * Why: @electric-sql/pglite-socket 0.2.17 runs every connection on ONE PGlite session and keeps
 * a connection's messages together only inside an explicit transaction. node-postgres sends an
 * extended query as Parse/Bind/Describe/Execute/Flush and the Sync only after CommandComplete, so
 * with a pg Pool of several connections another connection's Parse/Bind lands in between and
 * replaces the unnamed statement/portal: "portal \"\" does not exist" (34000) and "prepared
 * statement does not exist" (26000) under concurrency. A real PostgreSQL server gives every
 * connection its own backend; this proxy restores that isolation by serialising sessions, which
 * is what a single PGlite does anyway.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface SessionProxy {
  url: string;
  server: Server;
  /** How many times a connection had to wait for another's turn. */
  stats: { connections: number; waits: number };
  close(): Promise<void>;
}

export async function startSessionProxy(upstreamHost: string, upstreamPort: number, database = 'postgres'): Promise<SessionProxy> {
  let owner: Socket | null = null;
  const queue: (() => void)[] = [];
  const stats = { connections: 0, waits: 0 };
  const sockets = new Set<Socket>();
  const release = (client: Socket) => {
    if (owner !== client) return;
    owner = null;
    const next = queue.shift();
    next?.();
  };

  const server = createServer((client) => {
    stats.connections++;
    sockets.add(client);
    client.setNoDelay(true);
    const upstream = connect({ host: upstreamHost, port: upstreamPort });
    upstream.setNoDelay(true);
    sockets.add(upstream);
    const pending: Buffer[] = [];
    let waiting = false;

    const flush = () => {
      waiting = false;
      owner = client;
      for (const b of pending.splice(0)) upstream.write(b);
    };
    client.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      if (waiting) return; // its turn will come: flush() sends everything pending
      if (owner === client || owner === null) return flush();
      waiting = true;
      stats.waits++;
      queue.push(flush);
    });

    // Walk the server's messages (type byte + int32 length) to find ReadyForQuery ('Z').
    let buf: Buffer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= 5) {
        const len = buf.readInt32BE(off + 1);
        if (buf.length - off < 1 + len) break;
        if (buf[off] === 0x5a /* Z */ && buf[off + 5] === 0x49 /* I */) release(client);
        off += 1 + len;
      }
      buf = buf.subarray(off);
    });

    const end = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      const i = queue.indexOf(flush);
      if (i >= 0) queue.splice(i, 1);
      release(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    server,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
