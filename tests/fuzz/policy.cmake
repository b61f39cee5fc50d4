# SPDX-License-Identifier: MIT
# The policy's rules entry, Policy/rules.json (ipc/policy.c), as any program of the user may
# write it: decisions, list, set and reset (fuzz-policy.c), over the in-memory hive of memhive.c.
if(NOT TARGET mesh-ipc)
	return()
endif()
mesh_fuzz_target(policy memhive.c)
