#!/usr/bin/env node
// `npx chehra-token --role … ` runs the development token CLI (../src/cli/token.ts) through npm exec,
// which prints no "> chehra token" banner: stdout holds the token and nothing else, with no -s to
// remember (`npm run token` prints npm's banner on stdout first; see the README, "Development tokens").
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/token.ts');
