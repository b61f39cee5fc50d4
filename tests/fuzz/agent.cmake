# SPDX-License-Identifier: MIT
# The agent's frame reader and dispatcher (fuzz-agent.c), with the harness's fixed keys.
if(NOT TARGET mesh-ipc)
	return()
endif()
mesh_fuzz_target(agent keys.c)
