// A PGlite (with pgvector) behind the PostgreSQL wire protocol, so the `pg` driver path can be
// tested where no pgvector server can be installed: `npx tsx scripts/pglite-server.ts [port]`.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.argv[2] ?? 55432);
const db = await PGlite.create('memory://', { extensions: { vector } });
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 100 });
await server.start();
console.log(`pglite listening: postgres://postgres@127.0.0.1:${port}/postgres`);
const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
