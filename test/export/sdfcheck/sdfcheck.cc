// Strict SDF check against libsdformat12, stricter than `ign sdf -k`: unknown elements and
// parser warnings are errors, mesh URIs must name files that exist (model:// against
// SDF_PATH-style folders given with -p, relative paths against the file), and every link of a
// non-static model must have a mass > 0. Usage: sdfcheck [-p DIR]... FILE...; prints
// "OK FILE" or "FAIL FILE: reason" per file; exit 1 if any failed.
#include <sdf/sdf.hh>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

static std::vector<std::string> g_paths;

static std::string resolveUri(const std::string &uri, const fs::path &base) {
  const std::string model = "model://";
  if (uri.rfind(model, 0) == 0) {
    const std::string rest = uri.substr(model.size());
    for (const auto &p : g_paths) {
      fs::path c = fs::path(p) / rest;
      if (fs::exists(c)) return c.string();
    }
    return "";
  }
  if (uri.rfind("file://", 0) == 0) return uri.substr(7);
  fs::path p(uri);
  if (p.is_relative()) p = base / p;
  return fs::exists(p) ? p.string() : "";
}

static void checkGeometry(const sdf::Geometry *g, const fs::path &base, const std::string &where, std::vector<std::string> &problems) {
  if (!g || g->Type() != sdf::GeometryType::MESH) return;
  const std::string uri = g->MeshShape()->Uri();
  // libsdformat may already have made the URI absolute.
  if (resolveUri(uri, base).empty()) problems.push_back(where + ": mesh '" + uri + "' not found");
}

static void checkModel(const sdf::Model *m, const fs::path &base, std::vector<std::string> &problems) {
  for (uint64_t l = 0; l < m->LinkCount(); ++l) {
    const sdf::Link *link = m->LinkByIndex(l);
    const std::string where = "model '" + m->Name() + "' link '" + link->Name() + "'";
    if (!m->Static() && !(link->Inertial().MassMatrix().Mass() > 0)) problems.push_back(where + ": mass is not > 0");
    for (uint64_t v = 0; v < link->VisualCount(); ++v) checkGeometry(link->VisualByIndex(v)->Geom(), base, where, problems);
    for (uint64_t c = 0; c < link->CollisionCount(); ++c) checkGeometry(link->CollisionByIndex(c)->Geom(), base, where, problems);
  }
  for (uint64_t k = 0; k < m->ModelCount(); ++k) checkModel(m->ModelByIndex(k), base, problems);
}

int main(int argc, char **argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-p" && i + 1 < argc) g_paths.push_back(argv[++i]);
    else files.push_back(a);
  }
  sdf::ParserConfig config;
  config.SetUnrecognizedElementsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetWarningsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetDeprecatedElementsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetFindCallback([](const std::string &uri) { return resolveUri(uri, fs::current_path()); });
  int failed = 0;
  for (const auto &f : files) {
    std::vector<std::string> problems;
    sdf::Root root;
    sdf::Errors errors = root.Load(f, config);
    for (const auto &e : errors) problems.push_back(e.Message());
    const fs::path base = fs::absolute(fs::path(f)).parent_path();
    if (errors.empty()) {
      if (const sdf::Model *m = root.Model()) checkModel(m, base, problems);
      for (uint64_t w = 0; w < root.WorldCount(); ++w) {
        const sdf::World *world = root.WorldByIndex(w);
        for (uint64_t k = 0; k < world->ModelCount(); ++k) checkModel(world->ModelByIndex(k), base, problems);
      }
    }
    if (problems.empty()) std::cout << "OK " << f << "\n";
    else {
      ++failed;
      std::cout << "FAIL " << f << ":";
      for (const auto &p : problems) std::cout << " " << p << ";";
      std::cout << "\n";
    }
  }
  return failed ? 1 : 0;
}
