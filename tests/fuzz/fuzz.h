/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Every target defines this; libFuzzer or replay.c calls it. Inputs must never crash, leak or
 * read out of bounds; the return value is always 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of @data (outside parsers take C strings); free with g_free. */
char *mesh_fuzz_strndup(const uint8_t *data, size_t size);

/* A fixed private key of @alg (a MeshKeyAlg), the same in every run; owned by the harness. */
struct MeshKey;
struct MeshKey *mesh_fuzz_key(int alg);

/* A temporary folder for the target's files (a hive), made on the first call and removed with
 * everything in it at exit, after the atexit handlers registered later (which close what is
 * open in it); owned by the harness. */
const char *mesh_fuzz_temp_dir(void);
