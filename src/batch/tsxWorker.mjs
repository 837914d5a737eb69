// Development only (running the TypeScript sources): worker threads do not inherit tsx's loader,
// so the pool's threads start here, register tsx, then load the TypeScript worker. The compiled
// program (dist/) starts its threads on poolWorker.js directly.
import { register } from 'tsx/esm/api';

register();
const mod = await import(new URL('./poolWorker.ts', import.meta.url).href);
export default mod.default;
