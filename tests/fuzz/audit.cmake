# SPDX-License-Identifier: MIT
# The audit log's line reader, strict line parser, verifier, lister and writer (core/audit.c) on
# a hostile Audit folder (fuzz-audit.c), over the in-memory hive of memhive.c.
mesh_fuzz_target(audit memhive.c)
