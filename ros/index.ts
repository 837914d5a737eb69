/**
 * The ROS side of real2sim: one node logic (`startSceneNode`) over a small transport interface,
 * with three transports — rclnodejs (native ROS 2, optional), rosbridge (roslib over a
 * WebSocket) and an in-process graph (tests, embedding) — plus the message normalisers and
 * builders it uses. `real2sim ros` (src/commands/ros.ts) is the command-line entry.
 */
export { startSceneNode, NAMES, type SceneNode, type SceneNodeOptions, type PipelineFn, type PipelineResult, type NodeStats } from './node.ts';
export { PARAMS, PARAM_DEFAULTS, resolveParams, paramsFromYaml, type NodeParams, type ParamSpec, type ParamValue } from './params.ts';
export { checkImage, checkCameraInfo, toColorImage, toDepthImage, toLabelImage, bytesOf, type RawImage } from './normalise.ts';
export { FrameSync, assembleFrame } from './sync.ts';
export { imageMsg, cameraInfoMsg, frameMessages } from './encode.ts';
export { markersFromScene, tfFromScene } from './outputs.ts';
export { spawnModels, gzSpawnRequest, classicSpawnRequest, type SpawnModel } from './spawn.ts';
export { resolveName, expandName, parseRemaps } from './names.ts';
export { MemoryGraph } from './transport/memory.ts';
export { connectRosbridge, type RosbridgeOptions } from './transport/rosbridge.ts';
export { connectRclnodejs, RCLNODEJS_MISSING, type RclnodejsOptions } from './transport/rclnodejs.ts';
export { QOS_SENSOR, QOS_DEFAULT, QOS_LATCHED, type Transport, type QosProfile, type Publisher, type Closeable } from './transport/types.ts';
export { defaultPipeline } from './wiring.ts';
export * from './messages.ts';
