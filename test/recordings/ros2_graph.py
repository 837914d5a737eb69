"""A real ROS 2 graph for the recording tests (run with Debian's python3, ROS 2 sourced).

  ros2_graph.py publish DIR N   publishes N frames (colour rgb8, depth 16UC1, CameraInfo) from DIR at 10 Hz
  ros2_graph.py record OUT N    subscribes with raw=True and appends every message's serialised CDR bytes
                                and its receive time to OUT until N colour and N depth images arrived

DIR holds rgb.raw (rgb8 rows), depth.raw (uint16 millimetres, little-endian), camera.json.
OUT records: u16 topic length, topic, u16 type length, type, u64 receive time (ns), u32 length, CDR bytes.
"""
import json
import os
import struct
import sys
import time

import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, DurabilityPolicy, HistoryPolicy
from sensor_msgs.msg import CameraInfo, Image

TOPICS = {
    '/camera/color/image_raw': (Image, 'sensor_msgs/msg/Image'),
    '/camera/aligned_depth_to_color/image_raw': (Image, 'sensor_msgs/msg/Image'),
    '/camera/color/camera_info': (CameraInfo, 'sensor_msgs/msg/CameraInfo'),
}
QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL, history=HistoryPolicy.KEEP_LAST)


def publish(src, n):
    cam = json.load(open(os.path.join(src, 'camera.json')))
    rgb = open(os.path.join(src, 'rgb.raw'), 'rb').read()
    depth = open(os.path.join(src, 'depth.raw'), 'rb').read()
    w, h = cam['width'], cam['height']
    rclpy.init()
    node = rclpy.create_node('real2sim_test_camera')
    pubs = {t: node.create_publisher(cls, t, QOS) for t, (cls, _) in TOPICS.items()}
    # wait for the recorder to be matched on every topic (discovery)
    deadline = time.time() + 20
    while time.time() < deadline and not all(p.get_subscription_count() > 0 for p in pubs.values()):
        rclpy.spin_once(node, timeout_sec=0.05)
    t0 = 1700000000
    for k in range(n):
        stamp_ns = t0 * 10**9 + k * 100_000_000
        def header(msg, off_ns=0):
            s = stamp_ns + off_ns
            msg.header.stamp.sec = s // 10**9
            msg.header.stamp.nanosec = s % 10**9
            msg.header.frame_id = 'camera_color_optical_frame'
        if k == 0:
            info = CameraInfo()
            header(info)
            info.width, info.height = w, h
            info.distortion_model = 'plumb_bob'
            info.d = [0.0] * 5
            info.k = [cam['fx'], 0.0, cam['cx'], 0.0, cam['fy'], cam['cy'], 0.0, 0.0, 1.0]
            info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
            info.p = [cam['fx'], 0.0, cam['cx'], 0.0, 0.0, cam['fy'], cam['cy'], 0.0, 0.0, 0.0, 1.0, 0.0]
            pubs['/camera/color/camera_info'].publish(info)
        img = Image()
        header(img)
        img.width, img.height, img.encoding, img.is_bigendian, img.step = w, h, 'rgb8', 0, w * 3
        img.data = rgb
        pubs['/camera/color/image_raw'].publish(img)
        d = Image()
        header(d, 4_000_000)  # depth 4 ms after colour, as from a real camera driver
        d.width, d.height, d.encoding, d.is_bigendian, d.step = w, h, '16UC1', 0, w * 2
        d.data = depth
        pubs['/camera/aligned_depth_to_color/image_raw'].publish(d)
        rclpy.spin_once(node, timeout_sec=0.1)
    # stay up until the recorder has everything (transient local keeps the last 50)
    end = time.time() + 15
    while time.time() < end and os.path.exists(os.path.join(src, 'publishing')):
        rclpy.spin_once(node, timeout_sec=0.1)
    node.destroy_node()
    rclpy.shutdown()


def record(out, n):
    rclpy.init()
    node = rclpy.create_node('real2sim_test_recorder')
    counts = {t: 0 for t in TOPICS}
    f = open(out, 'wb')

    def cb_for(topic, typename):
        def cb(data):
            now = time.time_ns()
            tb, yb = topic.encode(), typename.encode()
            f.write(struct.pack('<H', len(tb)) + tb + struct.pack('<H', len(yb)) + yb + struct.pack('<QI', now, len(data)) + data)
            f.flush()
            counts[topic] += 1
        return cb

    subs = [node.create_subscription(cls, t, cb_for(t, name), QOS, raw=True) for t, (cls, name) in TOPICS.items()]
    print('recorder ready', flush=True)
    deadline = time.time() + 60
    while time.time() < deadline and (counts['/camera/color/image_raw'] < n or counts['/camera/aligned_depth_to_color/image_raw'] < n or counts['/camera/color/camera_info'] < 1):
        rclpy.spin_once(node, timeout_sec=0.1)
    f.close()
    print('recorded', json.dumps(counts), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == '__main__':
    if sys.argv[1] == 'publish':
        publish(sys.argv[2], int(sys.argv[3]))
    else:
        record(sys.argv[2], int(sys.argv[3]))
