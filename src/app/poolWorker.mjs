// Worker-thread entry of the task pool (pool.ts): imports a task's module and calls the named
// export. The modules are TypeScript, run through tsx as the CLI is (bin/real2sim.js): the
// loader is registered in this thread (Node 20 does not carry `--import tsx` hooks into workers).
const { register } = await import('tsx/esm/api');
register();

const modules = new Map();
function load(url) {
  let m = modules.get(url);
  if (!m) {
    m = import(url);
    modules.set(url, m);
  }
  return m;
}

/** `{ module, name, input }` → the export's result; name `null` only loads the module (and runs its `warmUp`). */
export default async function run({ module, name, input }) {
  const m = await load(module);
  if (name === null) {
    if (typeof m.warmUp === 'function') await m.warmUp();
    return null;
  }
  const fn = m[name];
  if (typeof fn !== 'function') throw new Error(`task module ${module} exports no function '${name}'`);
  return fn(input);
}
