# SPDX-License-Identifier: MIT
# Portal URLs as users and agent requests give them (--portal, MESH_PORTAL_URL, "Portal"):
# mesh_portal_url_normalize, whose normal form devices remember and compare.
mesh_fuzz_target(portal-url)
