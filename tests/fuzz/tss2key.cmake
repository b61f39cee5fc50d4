# SPDX-License-Identifier: MIT
# The TPM 2.0 key file codec (backends/tss2key.c), which reads key files from the hive and from
# users: PEM and DER. Pure code, no TPM.
if(NOT TARGET mesh-backends OR NOT MESH_HAVE_TPM2)
	return()
endif()
mesh_fuzz_target(tss2key)
