/**
 * Hand-written structural types for just the ROS 2 messages the node reads and writes.
 * Incoming messages are `unknown` until a normaliser (`normalise.ts`) has checked them;
 * outgoing messages are built as plain objects with plain arrays (no typed arrays), because
 * rosbridge serialises with `JSON.stringify` and rclnodejs accepts plain arrays everywhere.
 */

/** `builtin_interfaces/msg/Time` (ROS 2 spelling; ROS 1 / rosbridge-from-ROS-1 uses secs/nsecs). */
export interface RosTime {
  sec: number;
  nanosec: number;
}

export interface Header {
  stamp: RosTime;
  frame_id: string;
}

export interface Vector3Msg {
  x: number;
  y: number;
  z: number;
}

export interface QuaternionMsg {
  x: number;
  y: number;
  z: number;
  w: number;
}

export interface PoseMsg {
  position: Vector3Msg;
  orientation: QuaternionMsg;
}

export interface ColorRGBA {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** `visualization_msgs/msg/Marker` (the Humble field set). */
export interface MarkerMsg {
  header: Header;
  ns: string;
  id: number;
  type: number;
  action: number;
  pose: PoseMsg;
  scale: Vector3Msg;
  color: ColorRGBA;
  lifetime: RosTime;
  frame_locked: boolean;
  points: Vector3Msg[];
  colors: ColorRGBA[];
  text: string;
  mesh_resource: string;
  mesh_use_embedded_materials: boolean;
}

export interface MarkerArrayMsg {
  markers: MarkerMsg[];
}

/** Marker `type` and `action` constants from `visualization_msgs/msg/Marker`. */
export const MARKER = {
  CUBE: 1,
  TEXT_VIEW_FACING: 9,
  MESH_RESOURCE: 10,
  TRIANGLE_LIST: 11,
  ADD: 0,
  DELETE: 2,
  DELETEALL: 3,
} as const;

export interface TransformStampedMsg {
  header: Header;
  child_frame_id: string;
  transform: { translation: Vector3Msg; rotation: QuaternionMsg };
}

/** `tf2_msgs/msg/TFMessage` */
export interface TfMessageMsg {
  transforms: TransformStampedMsg[];
}

export interface KeyValueMsg {
  key: string;
  value: string;
}

/** `diagnostic_msgs/msg/DiagnosticStatus` levels. */
export const DIAG = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;
export type DiagLevel = (typeof DIAG)[keyof typeof DIAG];

export interface DiagnosticStatusMsg {
  level: DiagLevel;
  name: string;
  message: string;
  hardware_id: string;
  values: KeyValueMsg[];
}

export interface DiagnosticArrayMsg {
  header: Header;
  status: DiagnosticStatusMsg[];
}

export interface StringMsg {
  data: string;
}

/** `std_srvs/srv/Trigger` */
export interface TriggerResponse {
  success: boolean;
  message: string;
}

/** `ros_gz_interfaces/srv/SpawnEntity` request (served by ros_gz_sim on `/world/<world>/create`). */
export interface GzSpawnRequest {
  entity_factory: {
    name: string;
    allow_renaming: boolean;
    sdf: string;
    sdf_filename: string;
    clone_name: string;
    pose: PoseMsg;
    relative_to: string;
  };
}

/** `ros_gz_interfaces/srv/DeleteEntity` request: `Entity.id` is a uint64 (a BigInt in JavaScript). */
export interface GzDeleteRequest {
  entity: { id: bigint; name: string; type: number };
}

/** `gazebo_msgs/srv/DeleteEntity` request. */
export interface ClassicDeleteRequest {
  name: string;
}

/** `gazebo_msgs/srv/SpawnEntity` request (Gazebo classic, `/spawn_entity`). */
export interface ClassicSpawnRequest {
  name: string;
  xml: string;
  robot_namespace: string;
  initial_pose: PoseMsg;
  reference_frame: string;
}

/** The ROS 2 interface names used, in one place so transports and tests agree. */
export const TYPES = {
  image: 'sensor_msgs/msg/Image',
  cameraInfo: 'sensor_msgs/msg/CameraInfo',
  markerArray: 'visualization_msgs/msg/MarkerArray',
  string: 'std_msgs/msg/String',
  tf: 'tf2_msgs/msg/TFMessage',
  diagnostics: 'diagnostic_msgs/msg/DiagnosticArray',
  trigger: 'std_srvs/srv/Trigger',
  gzSpawn: 'ros_gz_interfaces/srv/SpawnEntity',
  classicSpawn: 'gazebo_msgs/srv/SpawnEntity',
  gzDelete: 'ros_gz_interfaces/srv/DeleteEntity',
  classicDelete: 'gazebo_msgs/srv/DeleteEntity',
} as const;

export function timeFromSeconds(t: number): RosTime {
  const sec = Math.floor(t);
  return { sec, nanosec: Math.min(999_999_999, Math.round((t - sec) * 1e9)) };
}

export function secondsOf(t: RosTime): number {
  return t.sec + t.nanosec * 1e-9;
}
