# SPDX-License-Identifier: MIT
# The verbs that talk to the agent through libmeshclient (cli/verbs.h). Included from
# cli/CMakeLists.txt after the mesh target exists.
target_sources(mesh PRIVATE
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-agent.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-device.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-key.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-hive.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-lock.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-account.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-profile.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-escrow.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-connect.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-app.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-password.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-ssh.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-policy.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-audit.c
	${CMAKE_CURRENT_SOURCE_DIR}/wizard.c
	${CMAKE_CURRENT_SOURCE_DIR}/qr.c)
# 'mesh connect pin' draws the connection URI as a QR code (cli/qr.c; tools/deps.sh installs it).
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)
target_link_libraries(mesh PRIVATE meshclient mesh-platform PkgConfig::QRENCODE)
