// Native Bullet (Debian's libbullet-dev 3.24) run of the per-object URDFs' collision shapes.
// Debian ships no Bullet URDF importer (it lives in Bullet's examples), so nativeSim.ts parses
// each models/<name>/model.urdf and passes its link to this harness on stdin, one record per
// line (metres, kilograms, quaternions x y z w):
//   floor NX NY NZ D FRICTION RESTITUTION          plane n·p + d = 0
//   body NAME STATIC MASS PX PY PZ QX QY QZ QW     object frame in the world
//   inertial CX CY CZ IXX IYY IZZ IXY IXZ IYZ      mass centre and inertia about it, object frame
//   surface FRICTION ROLLING SPINNING RESTITUTION  the URDF's <contact> values
//   sphere CX CY CZ R | box CX CY CZ QX QY QZ QW SX SY SZ | hull CX CY CZ QX QY QZ QW N x y z …
//   end                                            closes the body
//   run SECONDS HZ
// Output: "contact A B DIST" for every contact point at t = 0 (DIST < 0: penetration, hull
// margins added back), then
// "body NAME X0 Y0 Z0 X1 Y1 Z1" (object frame origin before and after), then "done".
// Margins follow PyBullet's URDF loader (1 mm collision margin on hulls and boxes).
#include <btBulletDynamicsCommon.h>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <memory>

struct Body {
  std::string name;
  bool isStatic = false;
  double mass = 0;
  btTransform pose;      // object frame -> world
  btVector3 com{0, 0, 0};
  btMatrix3x3 inertia;   // about com, object axes
  double friction = 0.8, rolling = 0, spinning = 0, restitution = 0;
  btCompoundShape* shape = nullptr;
  btTransform principal; // principal frame (com) -> object frame
  btRigidBody* rb = nullptr;
};

static btQuaternion readQuat(std::istream& in) { double x, y, z, w; in >> x >> y >> z >> w; return btQuaternion(x, y, z, w); }
static btVector3 readVec(std::istream& in) { double x, y, z; in >> x >> y >> z; return btVector3(x, y, z); }

int main() {
  std::ios::sync_with_stdio(false);
  std::vector<std::unique_ptr<btCollisionShape>> shapes;
  std::vector<Body> bodies;
  btVector3 floorN(0, 0, 1); double floorD = 0, floorFriction = 0.8, floorRestitution = 0;
  double seconds = 2, hz = 240;
  std::string line;
  Body* cur = nullptr;
  std::vector<std::pair<btTransform, btCollisionShape*>> children;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string tag; in >> tag;
    if (tag == "floor") { floorN = readVec(in); in >> floorD >> floorFriction >> floorRestitution; }
    else if (tag == "body") {
      bodies.emplace_back(); cur = &bodies.back(); children.clear();
      int st; in >> cur->name >> st >> cur->mass; cur->isStatic = st != 0;
      btVector3 p = readVec(in); btQuaternion q = readQuat(in);
      cur->pose = btTransform(q, p);
    } else if (tag == "inertial" && cur) {
      cur->com = readVec(in);
      double xx, yy, zz, xy, xz, yz; in >> xx >> yy >> zz >> xy >> xz >> yz;
      cur->inertia.setValue(xx, xy, xz, xy, yy, yz, xz, yz, zz);
    } else if (tag == "surface" && cur) { in >> cur->friction >> cur->rolling >> cur->spinning >> cur->restitution; }
    else if ((tag == "sphere" || tag == "box" || tag == "hull") && cur) {
      btVector3 c = readVec(in);
      btQuaternion q(0, 0, 0, 1);
      btCollisionShape* s = nullptr;
      if (tag == "sphere") { double r; in >> r; s = new btSphereShape(r); }
      else if (tag == "box") { q = readQuat(in); btVector3 size = readVec(in); auto* b = new btBoxShape(size * 0.5); b->setMargin(0.001); s = b; }
      else {
        q = readQuat(in); int n; in >> n;
        auto* h = new btConvexHullShape();
        for (int i = 0; i < n; i++) { btVector3 v = readVec(in); h->addPoint(v, false); }
        h->recalcLocalAabb();
        h->setMargin(0.001);
        s = h;
      }
      shapes.emplace_back(s);
      children.push_back({btTransform(q, c), s});
    } else if (tag == "end" && cur) {
      // Bullet's body frame is the principal frame at the mass centre
      btMatrix3x3 rot; btMatrix3x3 I = cur->inertia;
      I.diagonalize(rot, 1e-12, 50);
      btVector3 diag(I[0][0], I[1][1], I[2][2]);
      cur->principal = btTransform(rot, cur->com);
      auto* compound = new btCompoundShape();
      shapes.emplace_back(compound);
      btTransform inv = cur->principal.inverse();
      for (auto& [t, s] : children) compound->addChildShape(inv * t, s);
      cur->shape = compound;
      double m = cur->isStatic ? 0 : cur->mass;
      btRigidBody::btRigidBodyConstructionInfo info(m, nullptr, compound, cur->isStatic ? btVector3(0, 0, 0) : diag);
      info.m_startWorldTransform = cur->pose * cur->principal;
      info.m_friction = cur->friction; info.m_rollingFriction = cur->rolling; info.m_spinningFriction = cur->spinning;
      info.m_restitution = cur->restitution;
      cur->rb = new btRigidBody(info);
      cur = nullptr;
    } else if (tag == "run") { in >> seconds >> hz; }
  }
  btDefaultCollisionConfiguration config;
  btCollisionDispatcher dispatcher(&config);
  btDbvtBroadphase broadphase;
  btSequentialImpulseConstraintSolver solver;
  btDiscreteDynamicsWorld world(&dispatcher, &broadphase, &solver, &config);
  world.setGravity(btVector3(0, 0, -9.81));
  btStaticPlaneShape floorShape(floorN.normalized(), -floorD);
  btRigidBody::btRigidBodyConstructionInfo floorInfo(0, nullptr, &floorShape);
  floorInfo.m_friction = floorFriction; floorInfo.m_restitution = floorRestitution;
  btRigidBody floor(floorInfo);
  world.addRigidBody(&floor);
  for (auto& b : bodies) { b.rb->setUserPointer(&b); world.addRigidBody(b.rb); b.rb->setActivationState(DISABLE_DEACTIVATION); }
  world.performDiscreteCollisionDetection();
  for (int i = 0; i < dispatcher.getNumManifolds(); i++) {
    btPersistentManifold* mf = dispatcher.getManifoldByIndexInternal(i);
    auto name = [&](const btCollisionObject* o) { auto* b = static_cast<Body*>(o->getUserPointer()); return b ? b->name : std::string("floor"); };
    // A convex hull's collision margin inflates it (a box's and a sphere's do not): add the
    // margins back so DIST is the distance between the shapes as written in the URDF.
    auto hullMargin = [](const btCollisionObject* o, int index) -> double {
      const btCollisionShape* s = o->getCollisionShape();
      if (s->isCompound() && index >= 0 && index < static_cast<const btCompoundShape*>(s)->getNumChildShapes()) s = static_cast<const btCompoundShape*>(s)->getChildShape(index);
      return s->getShapeType() == CONVEX_HULL_SHAPE_PROXYTYPE ? s->getMargin() : 0.0;
    };
    for (int k = 0; k < mf->getNumContacts(); k++) {
      const btManifoldPoint& pt = mf->getContactPoint(k);
      double dist = pt.getDistance() + hullMargin(mf->getBody0(), pt.m_index0) + hullMargin(mf->getBody1(), pt.m_index1);
      std::cout << "contact " << name(mf->getBody0()) << ' ' << name(mf->getBody1()) << ' ' << dist << '\n';
    }
  }
  std::vector<btVector3> x0;
  for (auto& b : bodies) x0.push_back((b.rb->getWorldTransform() * b.principal.inverse()).getOrigin());
  const int steps = int(seconds * hz + 0.5);
  for (int s = 0; s < steps; s++) world.stepSimulation(1.0 / hz, 0);
  std::cout.precision(9);
  for (size_t i = 0; i < bodies.size(); i++) {
    btVector3 x1 = (bodies[i].rb->getWorldTransform() * bodies[i].principal.inverse()).getOrigin();
    std::cout << "body " << bodies[i].name << ' ' << x0[i].x() << ' ' << x0[i].y() << ' ' << x0[i].z() << ' ' << x1.x() << ' ' << x1.y() << ' ' << x1.z() << '\n';
  }
  std::cout << "done\n";
  for (auto& b : bodies) { world.removeRigidBody(b.rb); delete b.rb; }
  world.removeRigidBody(&floor);
  return 0;
}
