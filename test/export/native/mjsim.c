/*
 * Native MuJoCo (Debian's libmujoco 2.2) run of an exported file, for tests and benchmarks.
 *
 *   mjsim FILE SECONDS                load FILE (MJCF or URDF), print contacts at t = 0, step, print bodies
 *   mjsim --save FILE OUT.xml         load FILE and write it back as MJCF (to add a floor to a URDF)
 *
 * Output, one record per line, space-separated (parsed by nativeSim.ts):
 *   ok NBODY NGEOM TIMESTEP
 *   contact BODY1 BODY2 DIST           every contact after mj_forward at t = 0 (DIST < 0: penetration, m)
 *   body NAME X0 Y0 Z0 X1 Y1 Z1        body origin in the world before and after SECONDS
 *   peak NCON NEFC NCONMAX NJMAX       most contacts / constraint rows in any step, and the buffers
 *   warn NAME COUNT                    MuJoCo warnings raised (contact/constraint buffers full, …)
 *   error MESSAGE                      the file did not load
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <mujoco/mujoco.h>

static const char *body_name(const mjModel *m, int b) {
  const char *n = mj_id2name(m, mjOBJ_BODY, b);
  return n && *n ? n : "world";
}

int main(int argc, char **argv) {
  char err[1000] = "";
  if (argc == 4 && strcmp(argv[1], "--save") == 0) {
    mjModel *m = mj_loadXML(argv[2], NULL, err, sizeof err);
    if (!m) { printf("error %s\n", err); return 0; }
    if (!mj_saveLastXML(argv[3], m, err, sizeof err)) { printf("error %s\n", err); mj_deleteModel(m); return 0; }
    printf("ok saved\n");
    mj_deleteModel(m);
    return 0;
  }
  if (argc != 3) { fprintf(stderr, "usage: mjsim FILE SECONDS | mjsim --save FILE OUT.xml\n"); return 2; }
  mjModel *m = mj_loadXML(argv[1], NULL, err, sizeof err);
  if (!m) { for (char *c = err; *c; c++) if (*c == '\n') *c = ' '; printf("error %s\n", err); return 0; }
  mjData *d = mj_makeData(m);
  if (!d) { printf("error mj_makeData failed (buffers too large?)\n"); mj_deleteModel(m); return 0; }
  printf("ok %d %d %.9g\n", m->nbody, m->ngeom, m->opt.timestep);
  mj_forward(m, d);
  for (int i = 0; i < d->ncon; i++) {
    const mjContact *c = &d->contact[i];
    printf("contact %s %s %.9g\n", body_name(m, m->geom_bodyid[c->geom1]), body_name(m, m->geom_bodyid[c->geom2]), c->dist);
  }
  double *x0 = malloc(sizeof(double) * 3 * m->nbody);
  memcpy(x0, d->xpos, sizeof(double) * 3 * m->nbody);
  int steps = (int)(atof(argv[2]) / m->opt.timestep + 0.5);
  int peakCon = d->ncon, peakEfc = d->nefc;
  for (int s = 0; s < steps; s++) {
    mj_step(m, d);
    if (d->ncon > peakCon) peakCon = d->ncon;
    if (d->nefc > peakEfc) peakEfc = d->nefc;
  }
  printf("peak %d %d %d %d\n", peakCon, peakEfc, m->nconmax, m->njmax);
  for (int b = 1; b < m->nbody; b++) {
    printf("body %s %.9g %.9g %.9g %.9g %.9g %.9g\n", body_name(m, b), x0[3 * b], x0[3 * b + 1], x0[3 * b + 2], d->xpos[3 * b], d->xpos[3 * b + 1], d->xpos[3 * b + 2]);
  }
  static const char *names[] = {"inertia", "contactfull", "cnstrfull", "vgeomfull", "badqpos", "badqvel", "badqacc", "badctrl"};
  for (int w = 0; w < mjNWARNING && w < 8; w++) if (d->warning[w].number) printf("warn %s %d\n", names[w], d->warning[w].number);
  free(x0);
  mj_deleteData(d);
  mj_deleteModel(m);
  return 0;
}
