# SPDX-License-Identifier: MIT
# The portal's HTTP/1.1 request reader (portal/http-parse.c): heads and chunked bodies straight
# from the network, before anything else looks at them.
if(NOT TARGET mesh-portal)
	return()
endif()
mesh_fuzz_target(http-parse)
