// Stand-alone reproducer of the oneDNN 3.2 deconvolution bias bug behind issue 11 (no Swift).
//   gcc -O2 tools/onednn_deconv_bias_repro.c -o /tmp/repro $(pkg-config --cflags --libs dnnl) -lm
//   BIAS=1 /tmp/repro 11 2 1 64 32 16     # channels, input HxW, kernel, stride, padding
// Deconvolution forward with format_tag_any (oneDNN picks brg_conv + brgconv_strided, src/dst
// acdb, weights Acdb16a or Acdb8a), compared with a naive loop. Without BIAS it is right; with a
// non-zero bias and channels blocked (8+ on AVX-512, 11+ on AVX2) rows from the second input row
// on are wrong (the bias is added once per overlapping tap). Env knobs: BIAS, TRAIN
// (forward_training), IOHW (PyTorch's weight order), DIRTY / DIRTYW (garbage in dst / weights
// before the call). Exit status 1 when the result is wrong.
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#define CHK(x) do { dnnl_status_t s = (x); if (s) { printf("err %d at %s\n", s, #x); exit(1);} } while (0)
static dnnl_engine_t eng; static dnnl_stream_t st;
static void reorder(const_dnnl_memory_desc_t a, void *pa, const_dnnl_memory_desc_t b, void *pb) {
  dnnl_primitive_desc_t pd; CHK(dnnl_reorder_primitive_desc_create(&pd, a, eng, b, eng, NULL));
  dnnl_primitive_t p; CHK(dnnl_primitive_create(&p, pd));
  dnnl_memory_t ma, mb; CHK(dnnl_memory_create(&ma, a, eng, pa)); CHK(dnnl_memory_create(&mb, b, eng, pb));
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, ma}, {DNNL_ARG_TO, mb}};
  CHK(dnnl_primitive_execute(p, st, 2, args)); CHK(dnnl_stream_wait(st));
}
int main(int argc, char **argv) {
  int C = atoi(argv[1]), H = atoi(argv[2]), W = atoi(argv[3]), K = atoi(argv[4]), S = atoi(argv[5]), P = atoi(argv[6]);
  int OH = (H - 1) * S - 2 * P + K, OW = (W - 1) * S - 2 * P + K;
  CHK(dnnl_engine_create(&eng, dnnl_cpu, 0)); CHK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
  dnnl_dims_t xd = {1, C, H, W}, wd = {C, C, K, K}, yd = {1, C, OH, OW};  // weights as OIHW of the deconv
  dnnl_memory_desc_t xa, wa, ya, xp, wp, yp;
  CHK(dnnl_memory_desc_create_with_tag(&xa, 4, xd, dnnl_f32, dnnl_format_tag_any));
  CHK(dnnl_memory_desc_create_with_tag(&wa, 4, wd, dnnl_f32, dnnl_format_tag_any));
  CHK(dnnl_memory_desc_create_with_tag(&ya, 4, yd, dnnl_f32, dnnl_format_tag_any));
  CHK(dnnl_memory_desc_create_with_tag(&xp, 4, xd, dnnl_f32, dnnl_nchw));
  CHK(dnnl_memory_desc_create_with_tag(&wp, 4, wd, dnnl_f32, getenv("IOHW") ? dnnl_iohw : dnnl_oihw));
  CHK(dnnl_memory_desc_create_with_tag(&yp, 4, yd, dnnl_f32, dnnl_nchw));
  dnnl_memory_desc_t bd; dnnl_dims_t bdims = {C}; CHK(dnnl_memory_desc_create_with_tag(&bd, 1, bdims, dnnl_f32, dnnl_a));
  dnnl_dims_t str = {S, S}, dil = {0, 0}, pl = {P, P}, pr = {P, P};
  dnnl_primitive_desc_t pd;
  CHK(dnnl_deconvolution_forward_primitive_desc_create(&pd, eng, getenv("TRAIN") ? dnnl_forward_training : dnnl_forward_inference, dnnl_deconvolution_direct,
      xa, wa, getenv("BIAS") ? bd : NULL, ya, str, dil, pl, pr, NULL));
  const char *impl; CHK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
  const_dnnl_memory_desc_t xm = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
      wm = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), ym = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  size_t nx = C * H * W, nw = (size_t)C * C * K * K, ny = (size_t)C * OH * OW;
  float *x = malloc(nx * 4), *w = malloc(nw * 4), *y = calloc(ny, 4), *ref = calloc(ny, 4);
  float *xb = malloc(dnnl_memory_desc_get_size(xm)), *wb = malloc(dnnl_memory_desc_get_size(wm)), *yb = malloc(dnnl_memory_desc_get_size(ym));
  srand(1); for (size_t i = 0; i < nx; i++) x[i] = rand() / (float)RAND_MAX - 0.5f;
  for (size_t i = 0; i < nw; i++) w[i] = rand() / (float)RAND_MAX - 0.5f;
  if (getenv("DIRTYW")) for (size_t i = 0; i < dnnl_memory_desc_get_size(wm) / 4; i++) wb[i] = 1000.f;
  reorder(xp, x, xm, xb); reorder(wp, w, wm, wb);
  { size_t n = dnnl_memory_desc_get_size(wm) / 4, nz = 0; for (size_t i = 0; i < n; i++) nz += wb[i] == 1000.f; printf("weights: %zu of %zu floats still 1000 after reorder\n", nz, n); }
  if (getenv("DIRTY")) for (size_t i = 0; i < dnnl_memory_desc_get_size(ym) / 4; i++) yb[i] = 1000.f;
  dnnl_primitive_t p; CHK(dnnl_primitive_create(&p, pd));
  float *bias = calloc(C, 4); if (getenv("BIAS")) for (int i = 0; i < C; i++) bias[i] = 0.1f * (i + 1); dnnl_memory_t mb; CHK(dnnl_memory_create(&mb, bd, eng, bias));
  dnnl_memory_t mx, mw, my; CHK(dnnl_memory_create(&mx, xm, eng, xb)); CHK(dnnl_memory_create(&mw, wm, eng, wb)); CHK(dnnl_memory_create(&my, ym, eng, yb));
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, my}, {DNNL_ARG_BIAS, mb}};
  CHK(dnnl_primitive_execute(p, st, getenv("BIAS") ? 4 : 3, args)); CHK(dnnl_stream_wait(st));
  reorder(ym, yb, yp, y);
  if (getenv("BIAS")) for (int oc = 0; oc < C; oc++) for (int i = 0; i < OH * OW; i++) ref[oc * OH * OW + i] = bias[oc];
  // oneDNN deconv weights OIHW: O = output channels, I = input channels.
  for (int ic = 0; ic < C; ic++) for (int i = 0; i < H; i++) for (int j = 0; j < W; j++)
    for (int oc = 0; oc < C; oc++) for (int a = 0; a < K; a++) for (int b = 0; b < K; b++) {
      int yy = i * S - P + a, xx = j * S - P + b;
      if (yy < 0 || yy >= OH || xx < 0 || xx >= OW) continue;
      ref[(oc * OH + yy) * OW + xx] += x[(ic * H + i) * W + j] * (getenv("IOHW") ? w[((ic * C + oc) * K + a) * K + b] : w[((oc * C + ic) * K + a) * K + b]);
    }
  double m = 0, mr = 0; int firstBadRow = -1;
  for (size_t i = 0; i < ny; i++) { double d = fabs(y[i] - ref[i]); if (d > m) m = d; if (fabs(ref[i]) > mr) mr = fabs(ref[i]);
    if (d > 1e-3 && firstBadRow < 0) firstBadRow = (i / OW) % OH; }
  printf("%s C=%d in %dx%d k%d s%d p%d: max abs diff %.3g (ref max %.3g), first bad row %d\n", impl, C, H, W, K, S, P, m, mr, firstBadRow);
  return m > 1e-3 * mr;
}
