// bench/cpu_bench.sh's native side: `sha256-native ROUNDS` runs the kernel (sha256.h) and prints
// the last digest in hex and the time it took in microseconds: "HEX MICROSECONDS".
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sha256.h"

static uint8_t buffer[kSha256BenchBuffer];

int main(int argc, char **argv) {
  unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100;
  uint8_t digest[32];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  sha256_rounds(buffer, rounds, digest);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
  printf(" %ld\n", (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
  return 0;
}
