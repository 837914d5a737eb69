/** `reconstruct --bag`'s usage, apart from the reader so that the command's help does not load it. */
export const BAG_USAGE = `--bag RECORDING [--topics IMAGE[,DEPTH[,CAMERA_INFO]]] [--at T | --every S] [--sync-tolerance 0.02] [--gpu-host URL[,URL…]] … --out DIR

  --bag            a ROS 2 recording: an .mcap file or a rosbag2 folder (metadata.yaml + .mcap files)
  --topics         colour, depth and CameraInfo topics (default: found from the message types)
  --at             one frame: the synced colour image nearest T seconds after the recording's first
                   colour image (T ≥ 1e9: an absolute stamp)
  --every          a frame every S seconds of recording (default: every synced colour image)
  --sync-tolerance colour and depth pair when their stamps differ by at most this (s, default 0.02)
  --gpu-host       segment each frame on a GPU host; several (comma-separated or repeated) form a pool
  --out            parent folder: bundles go to DIR/<recording>/frame_<sec>.<nanosec>/`;
