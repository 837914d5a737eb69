// Worker-thread entry of the task pool (pool.ts): imports a task's module and calls the named
// export. From the TypeScript sources (development, tests) the modules are `.ts`, run through tsx
// as the CLI runs them: the loader is registered in this thread the first time such a module comes
// (Node 20 does not carry `--import tsx` hooks into workers). The compiled program's modules are
// `.js` and need no loader (tsx is a development dependency).
let tsx = null;
async function loaderFor(url) {
  if (!url.endsWith('.ts')) return;
  tsx ??= import('tsx/esm/api').then(({ register }) => register());
  await tsx;
}

const modules = new Map();
function load(url) {
  let m = modules.get(url);
  if (!m) {
    m = loaderFor(url).then(() => import(url));
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
