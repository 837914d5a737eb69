#!/usr/bin/python3
"""Open3D minimal tabletop pipeline: the speed floor for `npm run bench -- real`.

Run with Debian's interpreter (python3-open3d is installed for /usr/bin/python3), one thread:
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/open3d_tabletop.py FRAMES.json [--reps 3]
    /usr/bin/python3 bench/peers/open3d_tabletop.py --hull POINTS.ply OUT.json   (Open3D's hull, for the speed bench)

FRAMES.json: [{"name", "depth" (16-bit PNG path), "scale" (metres per unit), "width", "height",
"fx", "fy", "cx", "cy"}, ...]. Per frame, the steps a minimal tabletop segmentation takes:
depth image -> point cloud, 5 mm voxel down-sample, RANSAC support plane (1 cm, 3 points,
1000 iterations), DBSCAN clusters of what is off the plane (eps 2 cm, 10 points), one convex
hull per cluster. Prints one JSON line per frame: median wall ms per step and in total over
--reps runs (after one warm-up run), the process CPU time of a run (cpu), and the counts (points, clusters, hull vertices).
"""
import json
import statistics
import sys
import time

import numpy as np
import open3d as o3d


def pipeline(img, K, scale):
    c0 = time.process_time()
    t0 = time.perf_counter()
    pcd = o3d.geometry.PointCloud.create_from_depth_image(img, K, depth_scale=1.0 / scale, depth_trunc=3.0)
    t1 = time.perf_counter()
    down = pcd.voxel_down_sample(0.005)
    t2 = time.perf_counter()
    _, inl = down.segment_plane(distance_threshold=0.01, ransac_n=3, num_iterations=1000)
    t3 = time.perf_counter()
    rest = down.select_by_index(inl, invert=True)
    labels = np.asarray(rest.cluster_dbscan(eps=0.02, min_points=10))
    t4 = time.perf_counter()
    hull_vertices = 0
    clusters = int(labels.max()) + 1 if labels.size else 0
    kept = 0
    for k in range(clusters):
        idx = np.flatnonzero(labels == k)
        if idx.size < 4:
            continue
        try:
            hull, _ = rest.select_by_index(idx).compute_convex_hull()
        except RuntimeError:
            continue  # a flat cluster has no 3-D hull
        hull_vertices += len(hull.vertices)
        kept += 1
    t5 = time.perf_counter()
    c5 = time.process_time()
    t = {"cpu": c5 - c0, "cloud": t1 - t0, "voxel": t2 - t1, "plane": t3 - t2, "dbscan": t4 - t3, "hulls": t5 - t4, "total": t5 - t0}
    counts = {"points": len(pcd.points), "voxels": len(down.points), "planeInliers": len(inl), "clusters": kept, "hullVertices": hull_vertices}
    return t, counts


def hull(ply, out):
    """Open3D's convex hull of a point cloud file, written as JSON {vertices, triangles}."""
    mesh, _ = o3d.io.read_point_cloud(ply).compute_convex_hull()
    json.dump({"vertices": np.asarray(mesh.vertices).ravel().tolist(), "triangles": np.asarray(mesh.triangles).ravel().tolist()}, open(out, "w"))


def main():
    if sys.argv[1] == "--hull":  # --hull POINTS.ply OUT.json
        hull(sys.argv[2], sys.argv[3])
        return
    frames = json.load(open(sys.argv[1]))
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 3
    o3d.utility.random.seed(0)
    for f in frames:
        depth = o3d.io.read_image(f["depth"])
        K = o3d.camera.PinholeCameraIntrinsic(f["width"], f["height"], f["fx"], f["fy"], f["cx"], f["cy"])
        pipeline(depth, K, f["scale"])  # warm-up
        runs = [pipeline(depth, K, f["scale"]) for _ in range(reps)]
        ms = {k: statistics.median(r[0][k] for r in runs) * 1e3 for k in runs[0][0]}
        print(json.dumps({"name": f["name"], "ms": ms, "counts": runs[-1][1]}), flush=True)


if __name__ == "__main__":
    main()
