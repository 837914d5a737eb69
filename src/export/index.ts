/** Simulator export: writers (strings/bytes), the atomic bundle writer, and importers. */
export { toUrdf, toUrdfModel, URDF_DEFAULTS, type UrdfOptions } from './urdf.ts';
export { modelIndex, type ModelIndex, type ModelIndexEntry } from './modelIndex.ts';
export { exactBoxOf, SURFACE_DEFAULTS, type Surface, type Primitive } from './surface.ts';
export { mjcfSize } from './mujocoSize.ts';
export { creasedNormals } from './normals.ts';
export { toSdfWorld, toSdfModel, SDF_DEFAULTS, type SdfOptions } from './sdf.ts';
export { toMjcf, MJCF_DEFAULTS, type MjcfOptions } from './mjcf.ts';
export { toGlb } from './glb.ts';
export { writeBundle, readBundleScene, type BundleOptions, type BundleManifest } from './bundle.ts';
export { prepareScene, type PreparedScene, type ExportObject, type PrepareOptions } from './prepare.ts';
export { sanitizeName, uniqueNames, xmlEscape } from './names.ts';
export { safeMassProperties, INERTIA_RULES_DEFAULTS, type InertiaRules } from './inertia.ts';
export { fromUrdf, fromSdf, fromMjcf, importFile, type ImportContext } from '../io/readers/index.ts';
