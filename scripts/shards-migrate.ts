// Brings a database's schema up to date with the service's own migrations (scripts/shards.sh runs
// it on the coordinator before turning some state partitions into foreign tables).
import { connectDatabase } from '../service/src/db/connect.js';

const url = process.argv[2];
if (!url) throw new Error('usage: tsx scripts/shards-migrate.ts postgres://…');
const db = await connectDatabase({ databaseUrl: url, poolMax: 1 });
await db.close();
