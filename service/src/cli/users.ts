import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { connectDatabase } from '../db/connect.js';
import { BOOTSTRAP_ROLES, bootstrapResetMpin, bootstrapUser, type BootstrapRole } from '../identity/bootstrap-user.js';
import { MpinHasher } from '../identity/mpin.js';
import { loadOrCreateSecret } from '../keys/secret.js';

const usage = `Accounts from the command line: the first admins, and auditors.

  npm run users -- add --role state_admin --mobile 9812345678 --name "Meera Rao" --state S1
  npm run users -- add --role district_admin --mobile 9812345679 --name "Asha Singh" --state S1 --district D1
  npm run users -- add --role auditor --mobile 9812345670 --name "Audit Office"
  npm run users -- reset-mpin --mobile 9812345679

Prints a one-time MPIN, once: she signs in with it (console or app) and must change it before
anything else works. Everyone else is added in the service (Users page / POST /v1/users).
Uses DATABASE_URL, or the embedded database in DATA_DIR/pglite, and the MPIN pepper in KEYS_DIR.
The embedded database is one process at a time: stop the service first.`;

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    role: { type: 'string' },
    mobile: { type: 'string' },
    name: { type: 'string' },
    state: { type: 'string' },
    district: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !command || !['add', 'reset-mpin'].includes(command)) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
if (!values.mobile || (command === 'add' && (!values.role || !values.name))) {
  console.error(`missing ${command === 'add' ? '--role, --mobile or --name' : '--mobile'}\n\n${usage}`);
  process.exit(2);
}
if (command === 'add' && !BOOTSTRAP_ROLES.includes(values.role as BootstrapRole)) {
  console.error(`--role must be one of ${BOOTSTRAP_ROLES.join(', ')}; workers and supervisors are added in the service`);
  process.exit(2);
}

const config = loadConfig();
const mpin = new MpinHasher(loadOrCreateSecret(config.keysDir, 'mpin-pepper.json'));
const db = await connectDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: `${config.dataDir}/pglite` });
try {
  const done =
    command === 'add'
      ? await bootstrapUser(db, mpin, { role: values.role as BootstrapRole, mobile: values.mobile, name: values.name!, ...(values.state ? { state: values.state } : {}), ...(values.district ? { district: values.district } : {}) })
      : await bootstrapResetMpin(db, mpin, values.mobile);
  const u = done.user;
  console.log(`${command === 'add' ? 'added' : 'reset'} ${u.role} ${u.name} (${u.mobile}, id ${u.id}${u.state ? `, ${[u.state, u.district].filter(Boolean).join('/')}` : ''})`);
  console.log(`one-time MPIN: ${done.oneTimeMpin}`);
  console.log('give it to her in person; it is shown only now, and she must change it at first sign-in');
} catch (err) {
  console.error(`cannot ${command}: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
