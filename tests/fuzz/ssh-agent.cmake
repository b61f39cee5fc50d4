# SPDX-License-Identifier: MIT
# The OpenSSH agent protocol handler (ipc/ssh-agent.c) fed client streams (fuzz-ssh-agent.c),
# built once the handler is part of mesh-ipc.
if(NOT TARGET mesh-ipc OR NOT EXISTS ${PROJECT_SOURCE_DIR}/ipc/ssh-agent.c)
	return()
endif()
mesh_fuzz_target(ssh-agent)
