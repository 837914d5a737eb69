/**
 * The browser side of the viewer: draws a `ViewModel` with three.js. Bundled by esbuild into
 * one classic script (served by `real2sim view`, inlined into `report.html`), so the page loads
 * nothing from a CDN and works from `file://`.
 *
 * Frames: the world is z up (REP 103). three.js draws y up by default, so every object is
 * created with `up = +z` and the orbit camera orbits about z; no coordinate is converted.
 * The scene camera's optical frame (x right, y down, z forward) differs from a three.js camera
 * (x right, y up, looking down −z) by a half turn about x: `OPTICAL_TO_THREE` below.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { ObjectStatus, ViewMesh, ViewModel, ViewObject } from '../viewModel.ts';

THREE.Object3D.DEFAULT_UP.set(0, 0, 1);

const TOGGLES = ['image', 'cloud', 'meshes', 'collision', 'boxes', 'plane', 'frustum', 'support', 'grid'] as const;
type Toggle = (typeof TOGGLES)[number];
const TOGGLE_DEFAULTS: Record<Toggle, boolean> = {
  image: true,
  cloud: false,
  meshes: true,
  collision: false,
  boxes: false,
  plane: true,
  frustum: true,
  support: false,
  grid: true,
};
const STATUS_COLOUR: Record<ObjectStatus, number | null> = {
  unchanged: null,
  repaired: null,
  unchecked: null,
  moved: 0x2060c0,
  penetrating: 0xe02020,
  unstable: 0xff8800,
  unsupported: 0xc030c0,
};
const BACKGROUND = 0xf2f3f5;
const OPTICAL_TO_THREE = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI);

declare global {
  interface Window {
    __REAL2SIM_MODEL__?: ViewModel;
    __real2sim?: DebugApi;
  }
}

/** A small API for tests and power users (`window.__real2sim` in the console). */
interface DebugApi {
  ready: boolean;
  version: number;
  updates: number;
  objectCount(): number;
  visibleMeshCount(): number;
  visibleCollisionPieces(): number;
  drawCalls(): number;
  toggles(): Record<Toggle, boolean>;
  setToggle(name: Toggle, on: boolean): void;
  select(id: string | null): void;
  selected(): string | null;
  /** Canvas pixel (CSS px) where an object's centre is drawn, or null when off screen. */
  project(id: string): { x: number; y: number } | null;
  useSceneCamera(): void;
  errors: string[];
}

function decodeF32(b64: string): Float32Array {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}
function decodeU32(b64: string): Uint32Array {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Uint32Array(bytes.buffer);
}
function decodeU8(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function geometryOf(m: ViewMesh): THREE.BufferGeometry {
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.BufferAttribute(decodeF32(m.positions), 3));
  g.setIndex(new THREE.BufferAttribute(decodeU32(m.indices), 1));
  g.computeVertexNormals();
  g.computeBoundingSphere();
  return g;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

class Viewer {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.PerspectiveCamera(50, 1, 0.01, 100);
  readonly controls: OrbitControls;
  readonly layers: Record<Toggle, THREE.Group>;
  readonly objectGroups = new Map<string, { group: THREE.Group; visual: THREE.Mesh; collision: THREE.Group; decor: THREE.Group; data: ViewObject }>();
  toggles: Record<Toggle, boolean> = { ...TOGGLE_DEFAULTS };
  model: ViewModel | null = null;
  selectedId: string | null = null;
  private needsRender = true;
  /** Ground grid and world axes: kept across scene updates. */
  private readonly gridGroup = new THREE.Group();

  constructor(
    readonly canvasHost: HTMLElement,
    readonly panel: HTMLElement,
  ) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(1);
    this.renderer.setClearColor(BACKGROUND);
    canvasHost.appendChild(this.renderer.domElement);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => this.requestRender());
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x556677, 1.1));
    const sun = new THREE.DirectionalLight(0xffffff, 1.5);
    sun.position.set(2, 1.5, 4);
    this.scene.add(sun);
    const grid = new THREE.GridHelper(4, 40, 0xb0b4ba, 0xd6d9de);
    grid.rotation.x = Math.PI / 2; // GridHelper lies in x–z; the world's ground is x–y
    this.layers = Object.fromEntries(TOGGLES.map((t) => [t, new THREE.Group()])) as Record<Toggle, THREE.Group>;
    for (const t of TOGGLES) {
      this.layers[t].name = t;
      this.scene.add(this.layers[t]);
    }
    this.gridGroup.add(grid, new THREE.AxesHelper(0.15));
    this.layers.grid.add(this.gridGroup);
    new ResizeObserver(() => this.resize()).observe(canvasHost);
    this.resize();
    this.renderer.domElement.addEventListener('click', (ev) => this.pick(ev));
    const loop = () => {
      if (this.needsRender) {
        this.needsRender = false;
        this.renderer.render(this.scene, this.camera);
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  requestRender(): void {
    this.needsRender = true;
  }

  renderNow(): void {
    this.needsRender = false;
    this.renderer.render(this.scene, this.camera);
  }

  resize(): void {
    const w = Math.max(1, this.canvasHost.clientWidth);
    const h = Math.max(1, this.canvasHost.clientHeight);
    this.renderer.setSize(w, h, true);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    if (this.model?.camera && this.usingSceneCamera) this.useSceneCamera();
    this.requestRender();
  }

  private usingSceneCamera = false;

  /** Looks through the estimated scene camera: same pose, same vertical field of view. */
  useSceneCamera(): void {
    const cam = this.model?.camera;
    if (!cam) return;
    const { intrinsics, pose } = cam;
    this.camera.fov = THREE.MathUtils.radToDeg(2 * Math.atan(intrinsics.height / 2 / intrinsics.fy));
    this.camera.position.set(...pose.position);
    const q = new THREE.Quaternion(...pose.orientation).multiply(OPTICAL_TO_THREE);
    this.camera.quaternion.copy(q);
    this.camera.updateProjectionMatrix();
    this.camera.updateMatrixWorld();
    // orbit about the point 0.8 m ahead, so dragging starts from the camera's own view
    const ahead = new THREE.Vector3(0, 0, -0.8).applyQuaternion(q).add(this.camera.position);
    this.controls.target.copy(ahead);
    this.camera.up.set(0, 0, 1);
    this.controls.update();
    this.camera.quaternion.copy(q);
    this.camera.updateMatrixWorld();
    this.usingSceneCamera = true;
    this.requestRender();
  }

  setModel(model: ViewModel): void {
    if (model.version !== 1) throw new Error(`view model version ${model.version} is not supported by this page`);
    const first = this.model === null;
    this.model = model;
    for (const t of TOGGLES) {
      const layer = this.layers[t];
      if (t === 'grid') continue;
      for (const child of [...layer.children]) {
        layer.remove(child);
        child.traverse((o) => {
          if (o instanceof THREE.Mesh || o instanceof THREE.LineSegments || o instanceof THREE.Points) (o.geometry as THREE.BufferGeometry).dispose();
        });
      }
    }
    this.objectGroups.clear();
    for (const o of model.objects) this.addObject(o);
    this.addSupportPlane(model);
    this.addCloud(model);
    this.addFrustum(model);
    this.addSupportGraph(model);
    this.applyToggles();
    if (first) {
      if (model.camera) this.useSceneCamera();
      else this.frameAll();
    }
    if (this.selectedId && !this.objectGroups.has(this.selectedId)) this.selectedId = null;
    renderPanel(this, this.panel);
    this.requestRender();
  }

  private addObject(o: ViewObject): void {
    const group = new THREE.Group();
    group.name = o.id;
    group.position.set(...o.pose.position);
    group.quaternion.set(...o.pose.orientation);
    const statusColour = STATUS_COLOUR[o.status];
    const material = new THREE.MeshStandardMaterial({
      color: new THREE.Color(...o.color),
      roughness: 0.7,
      metalness: 0.0,
      emissive: statusColour ?? 0x000000,
      emissiveIntensity: statusColour === null ? 0 : 0.55,
    });
    const visual = new THREE.Mesh(geometryOf(o.mesh), material);
    visual.name = `${o.id}/visual`;
    visual.userData['objectId'] = o.id;
    const meshLayer = new THREE.Group();
    meshLayer.add(visual);
    const collision = new THREE.Group();
    collision.name = `${o.id}/collision`;
    o.collision.forEach((piece, k) => {
      const hue = (k * 0.137 + 0.1) % 1;
      const m = new THREE.Mesh(geometryOf(piece), new THREE.MeshBasicMaterial({ color: new THREE.Color().setHSL(hue, 0.8, 0.45), wireframe: true }));
      m.name = `${o.id}/collision_${k}`;
      collision.add(m);
    });
    const decor = new THREE.Group();
    const box = new THREE.LineSegments(new THREE.EdgesGeometry(new THREE.BoxGeometry(...o.size)), new THREE.LineBasicMaterial({ color: statusColour ?? 0x333333 }));
    decor.add(box);
    decor.add(new THREE.AxesHelper(Math.max(0.03, Math.max(...o.size) * 0.6)));
    // each layer holds its own copy of the object's transform so toggles are independent
    const place = (child: THREE.Object3D, layer: Toggle) => {
      const g = new THREE.Group();
      g.position.copy(group.position);
      g.quaternion.copy(group.quaternion);
      g.add(child);
      this.layers[layer].add(g);
    };
    place(meshLayer, 'meshes');
    place(collision, 'collision');
    place(decor, 'boxes');
    this.objectGroups.set(o.id, { group, visual, collision, decor, data: o });
  }

  private addSupportPlane(model: ViewModel): void {
    const n = new THREE.Vector3(...(model.support?.normal ?? [0, 0, 1])).normalize();
    const d = model.support?.d ?? 0;
    let extent = 0.6;
    for (const o of model.objects) extent = Math.max(extent, Math.hypot(o.pose.position[0], o.pose.position[1]) + 0.3);
    const plane = new THREE.Mesh(
      new THREE.PlaneGeometry(extent * 2, extent * 2),
      new THREE.MeshStandardMaterial({ color: 0x9fb7c9, transparent: true, opacity: 0.35, side: THREE.DoubleSide, depthWrite: false }),
    );
    plane.quaternion.setFromUnitVectors(new THREE.Vector3(0, 0, 1), n);
    plane.position.copy(n.clone().multiplyScalar(-d));
    plane.name = 'support-plane';
    this.layers.plane.add(plane);
  }

  private addCloud(model: ViewModel): void {
    if (!model.cloud) return;
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.BufferAttribute(decodeF32(model.cloud.positions), 3));
    let material: THREE.PointsMaterial;
    if (model.cloud.colors) {
      // image colours are sRGB bytes; three.js blends vertex colours as linear values
      const srgb = decodeU8(model.cloud.colors);
      const linear = new Float32Array(srgb.length);
      for (let i = 0; i < srgb.length; i++) {
        const c = srgb[i]! / 255;
        linear[i] = c < 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; // the sRGB transfer curve
      }
      g.setAttribute('color', new THREE.BufferAttribute(linear, 3));
      material = new THREE.PointsMaterial({ size: 0.004, vertexColors: true });
    } else {
      material = new THREE.PointsMaterial({ size: 0.004, color: 0x2266aa });
    }
    const points = new THREE.Points(g, material);
    points.name = 'observed-cloud';
    this.layers.cloud.add(points);
  }

  private addFrustum(model: ViewModel): void {
    const cam = model.camera;
    if (!cam) return;
    const { intrinsics: k, pose } = cam;
    const depth = 0.15;
    const corners = [
      [0, 0],
      [k.width, 0],
      [k.width, k.height],
      [0, k.height],
    ].map(([u, v]) => new THREE.Vector3(((u! - k.cx) / k.fx) * depth, ((v! - k.cy) / k.fy) * depth, depth));
    const o = new THREE.Vector3();
    const pts: THREE.Vector3[] = [];
    for (let i = 0; i < 4; i++) pts.push(o, corners[i]!, corners[i]!, corners[(i + 1) % 4]!);
    const lines = new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints(pts), new THREE.LineBasicMaterial({ color: 0x222222 }));
    lines.position.set(...pose.position);
    lines.quaternion.set(...pose.orientation); // optical frame → world; corners are optical coordinates
    lines.name = 'camera-frustum';
    this.layers.frustum.add(lines);
  }

  private addSupportGraph(model: ViewModel): void {
    const edges = model.physics?.support ?? [];
    const pts: THREE.Vector3[] = [];
    for (const e of edges) {
      const a = this.objectGroups.get(e.object);
      if (!a) continue;
      const from = a.group.position.clone();
      let to: THREE.Vector3;
      if (e.restsOn === null) continue;
      if (e.restsOn === 'ground') to = new THREE.Vector3(from.x, from.y, 0);
      else {
        const b = this.objectGroups.get(e.restsOn);
        if (!b) continue;
        to = b.group.position.clone();
      }
      pts.push(from, to);
    }
    if (pts.length === 0) return;
    const lines = new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints(pts), new THREE.LineBasicMaterial({ color: 0x008855 }));
    lines.name = 'support-graph';
    this.layers.support.add(lines);
  }

  frameAll(): void {
    const box = new THREE.Box3();
    for (const { group, data } of this.objectGroups.values()) {
      box.expandByPoint(group.position.clone().addScalar(-Math.max(...data.size)));
      box.expandByPoint(group.position.clone().addScalar(Math.max(...data.size)));
    }
    if (box.isEmpty()) box.set(new THREE.Vector3(-0.5, -0.5, 0), new THREE.Vector3(0.5, 0.5, 0.5));
    const c = box.getCenter(new THREE.Vector3());
    const r = box.getSize(new THREE.Vector3()).length();
    this.camera.position.set(c.x - r * 1.2, c.y - r * 0.6, c.z + r * 0.9);
    this.controls.target.copy(c);
    this.controls.update();
    this.usingSceneCamera = false;
    this.requestRender();
  }

  topView(): void {
    this.frameAll();
    const t = this.controls.target;
    const r = this.camera.position.distanceTo(t);
    this.camera.position.set(t.x, t.y - 1e-3, t.z + r);
    this.controls.update();
    this.requestRender();
  }

  applyToggles(): void {
    for (const t of TOGGLES) this.layers[t].visible = this.toggles[t];
    const img = document.getElementById('input-image');
    if (img) img.style.display = this.toggles.image ? '' : 'none';
    this.requestRender();
  }

  setToggle(name: Toggle, on: boolean): void {
    if (!TOGGLES.includes(name)) throw new Error(`unknown toggle '${name}'; known: ${TOGGLES.join(', ')}`);
    this.toggles[name] = on;
    const box = document.querySelector<HTMLInputElement>(`input[data-toggle="${name}"]`);
    if (box) box.checked = on;
    this.applyToggles();
  }

  select(id: string | null): void {
    this.selectedId = id && this.objectGroups.has(id) ? id : null;
    for (const [oid, { visual, data }] of this.objectGroups) {
      const m = visual.material as THREE.MeshStandardMaterial;
      const statusColour = STATUS_COLOUR[data.status];
      const on = oid === this.selectedId;
      m.emissive.set(on ? 0x3355ff : (statusColour ?? 0x000000));
      m.emissiveIntensity = on ? 0.6 : statusColour === null ? 0 : 0.55;
    }
    for (const row of document.querySelectorAll<HTMLElement>('[data-object-row]')) {
      const on = row.dataset['objectRow'] === this.selectedId;
      row.classList.toggle('selected', on);
      if (on) row.scrollIntoView({ block: 'nearest' });
    }
    const detail = document.getElementById('object-detail');
    if (detail) detail.replaceChildren(...objectDetail(this.selectedId ? this.objectGroups.get(this.selectedId)!.data : null));
    this.requestRender();
  }

  private pick(ev: MouseEvent): void {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((ev.clientX - rect.left) / rect.width) * 2 - 1, -((ev.clientY - rect.top) / rect.height) * 2 + 1);
    const ray = new THREE.Raycaster();
    ray.setFromCamera(ndc, this.camera);
    const visuals = [...this.objectGroups.values()].map((o) => o.visual);
    const hit = ray.intersectObjects(visuals, false)[0];
    this.select(hit ? (hit.object.userData['objectId'] as string) : null);
  }

  project(id: string): { x: number; y: number } | null {
    const o = this.objectGroups.get(id);
    if (!o) return null;
    this.camera.updateMatrixWorld();
    const p = o.group.position.clone().project(this.camera);
    if (p.z < -1 || p.z > 1 || Math.abs(p.x) > 1 || Math.abs(p.y) > 1) return null;
    const rect = this.renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((p.x + 1) / 2) * rect.width, y: rect.top + ((1 - p.y) / 2) * rect.height };
  }
}

function objectDetail(o: ViewObject | null): HTMLElement[] {
  if (!o) return [el('p', { class: 'muted' }, 'Click an object in the view or the table.')];
  const rows: [string, string][] = [
    ['id', o.id],
    ['label', o.label],
    ['status', o.statusText],
    ['position (m)', o.pose.position.map((v) => fmt(v)).join(', ')],
    ['size (m)', o.size.map((v) => fmt(v)).join(' × ')],
    ['mass (kg)', fmt(o.mass)],
    ['collision pieces', String(o.collision.length)],
  ];
  const table = el('table');
  for (const [k, v] of rows) {
    const tr = el('tr');
    tr.append(el('th', {}, k), el('td', {}, v));
    table.append(tr);
  }
  const notes = el('ul');
  for (const n of o.notes) notes.append(el('li', {}, n));
  return o.notes.length ? [table, notes] : [table];
}

function renderPanel(viewer: Viewer, panel: HTMLElement): void {
  const model = viewer.model!;
  const parts: HTMLElement[] = [];
  parts.push(el('h1', {}, model.title));
  const verdict = model.physics?.verdict ?? 'not validated';
  parts.push(el('p', { class: `verdict verdict-${verdict.replace(/\s/g, '-')}` }, `${model.objects.length} objects · physics: ${verdict}`));
  if (model.image) {
    const img = el('img', { id: 'input-image', src: model.image, alt: 'input image with masks' });
    parts.push(img);
  }
  const toggles = el('div', { class: 'toggles' });
  for (const t of TOGGLES) {
    const label = el('label');
    const box = el('input', { type: 'checkbox', 'data-toggle': t });
    box.checked = viewer.toggles[t];
    box.addEventListener('change', () => viewer.setToggle(t, box.checked));
    label.append(box, document.createTextNode(` ${t}`));
    toggles.append(label);
  }
  const views = el('div', { class: 'views' });
  const camBtn = el('button', {}, 'camera view');
  camBtn.addEventListener('click', () => viewer.useSceneCamera());
  const topBtn = el('button', {}, 'top view');
  topBtn.addEventListener('click', () => viewer.topView());
  const allBtn = el('button', {}, 'fit all');
  allBtn.addEventListener('click', () => viewer.frameAll());
  views.append(camBtn, topBtn, allBtn);
  parts.push(toggles, views);

  parts.push(el('h2', {}, 'Objects'));
  const objTable = el('table', { class: 'objects' });
  const head = el('tr');
  for (const h of ['id', 'label', 'size (cm)', 'kg', 'status']) head.append(el('th', {}, h));
  objTable.append(head);
  for (const o of model.objects) {
    const tr = el('tr', { 'data-object-row': o.id, class: `status-${o.status}` });
    tr.append(el('td', {}, o.id), el('td', {}, o.label), el('td', {}, o.size.map((v) => (v * 100).toFixed(1)).join('×')), el('td', {}, fmt(o.mass, 3)), el('td', {}, o.statusText));
    tr.addEventListener('click', () => viewer.select(o.id));
    objTable.append(tr);
  }
  parts.push(objTable, el('div', { id: 'object-detail' }));

  parts.push(el('h2', {}, 'Stages'));
  const st = el('table', { class: 'stages' });
  const sh = el('tr');
  for (const h of ['stage', 'backend', 'ms', 'warnings']) sh.append(el('th', {}, h));
  st.append(sh);
  for (const r of model.reports) {
    const tr = el('tr');
    tr.append(el('td', {}, r.stage), el('td', {}, r.backend), el('td', {}, r.timeMs.toFixed(1)), el('td', {}, r.warnings.join('; ') || '—'));
    st.append(tr);
  }
  parts.push(st);

  if (model.physics) {
    parts.push(el('h2', {}, `Physics (${model.physics.engine})`));
    const f = el('table', { class: 'findings' });
    const fh = el('tr');
    for (const h of ['kind', 'objects', 'message']) fh.append(el('th', {}, h));
    f.append(fh);
    for (const x of model.physics.findings) {
      const tr = el('tr', { class: `sev-${x.severity}` });
      tr.append(el('td', {}, x.kind), el('td', {}, x.objects.join(', ')), el('td', {}, x.message));
      f.append(tr);
    }
    if (model.physics.findings.length === 0) f.append(el('tr', {}, 'no findings'));
    parts.push(f);
    parts.push(el('h2', {}, 'Repairs'));
    const rp = el('table', { class: 'repairs' });
    const rh = el('tr');
    for (const h of ['object', 'why', 'before (m)', 'after (m)']) rh.append(el('th', {}, h));
    rp.append(rh);
    for (const r of model.physics.repairs) {
      const tr = el('tr', r.flagged ? { class: 'flagged' } : {});
      tr.append(el('td', {}, r.object), el('td', {}, r.why), el('td', {}, r.before.position.map((v) => fmt(v)).join(', ')), el('td', {}, r.after.position.map((v) => fmt(v)).join(', ')));
      rp.append(tr);
    }
    if (model.physics.repairs.length === 0) rp.append(el('tr', {}, 'no repairs'));
    parts.push(rp);
  }
  panel.replaceChildren(...parts);
  viewer.applyToggles();
  viewer.select(viewer.selectedId);
}

async function loadInitialModel(): Promise<ViewModel> {
  if (window.__REAL2SIM_MODEL__) return window.__REAL2SIM_MODEL__;
  const inline = document.getElementById('real2sim-model');
  if (inline?.textContent) return JSON.parse(inline.textContent) as ViewModel;
  const res = await fetch('view-model.json');
  if (!res.ok) throw new Error(`could not load the scene: GET view-model.json → ${res.status}`);
  return (await res.json()) as ViewModel;
}

function connectLive(viewer: Viewer, api: DebugApi): void {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return;
  let delay = 500;
  const open = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { type: string; model?: ViewModel };
      if (msg.type === 'scene' && msg.model) {
        viewer.setModel(msg.model);
        api.updates++;
      }
    });
    ws.addEventListener('open', () => {
      delay = 500;
    });
    ws.addEventListener('close', () => {
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    });
  };
  open();
}

async function start(): Promise<void> {
  const errors: string[] = [];
  const canvasHost = document.getElementById('view')!;
  const panel = document.getElementById('panel')!;
  const viewer = new Viewer(canvasHost, panel);
  const api: DebugApi = {
    ready: false,
    version: 1,
    updates: 0,
    objectCount: () => viewer.objectGroups.size,
    visibleMeshCount: () => (viewer.toggles.meshes ? viewer.objectGroups.size : 0),
    visibleCollisionPieces: () => (viewer.toggles.collision ? [...viewer.objectGroups.values()].reduce((n, o) => n + o.collision.children.length, 0) : 0),
    drawCalls: () => {
      viewer.renderNow();
      return viewer.renderer.info.render.calls;
    },
    toggles: () => ({ ...viewer.toggles }),
    setToggle: (name, on) => viewer.setToggle(name, on),
    select: (id) => viewer.select(id),
    selected: () => viewer.selectedId,
    project: (id) => viewer.project(id),
    useSceneCamera: () => viewer.useSceneCamera(),
    errors,
  };
  window.__real2sim = api;
  try {
    viewer.setModel(await loadInitialModel());
    viewer.renderNow();
    api.ready = true;
  } catch (err) {
    errors.push(String(err));
    panel.replaceChildren(el('p', { class: 'error' }, String(err)));
    throw err;
  }
  connectLive(viewer, api);
}

void start();
