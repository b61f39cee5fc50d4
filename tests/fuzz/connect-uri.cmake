# SPDX-License-Identifier: MIT
# Connection URIs (mcu://ACCOUNT/PIN?portal=URL) as 'mesh connect request' takes them from a QR
# code or a user: mesh_connect_uri_parse, and its round trip through mesh_connect_uri_format.
mesh_fuzz_target(connect-uri)
