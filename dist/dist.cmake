# SPDX-License-Identifier: MIT
# Start-at-login files for the agent of the production hive in ~/.mmm: systemd user units (both
# of the agent's sockets activated) and an XDG autostart entry. The placeholders are filled as
# 'mesh agent install-login' fills them for that hive and home (cli/cmd-agent.c), with the
# meshagent of the bindir under the prefix being installed to (so 'cmake --install --prefix P'
# gets units that start P/bin/meshagent).
if(IS_ABSOLUTE ${CMAKE_INSTALL_BINDIR})
	set(MESH_DIST_BINDIR ${CMAKE_INSTALL_BINDIR})
else()
	set(MESH_DIST_BINDIR "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}")
endif()
foreach(unit meshagent.socket meshagent.service meshagent.desktop)
	install(CODE "set(agent \"${MESH_DIST_BINDIR}/meshagent\")
		if(agent MATCHES \" \")
			set(agent \"\\\"\${agent}\\\"\")
		endif()
		string(REPLACE \"%\" \"%%\" agent \"\${agent}\")
		set(unit meshagent)
		set(hive production)
		set(hivedir MathematicalMesh)
		set(label \"production hive\")
		set(home_rw \"-%h/.mmm\")
		set(env \"\")
		file(READ \"${PROJECT_SOURCE_DIR}/dist/${unit}\" text)
		string(REPLACE \"@environment@\\n\" \"\" text \"\${text}\")
		string(CONFIGURE \"\${text}\" text @ONLY)
		file(WRITE \"${CMAKE_BINARY_DIR}/dist/${unit}\" \"\${text}\")")
endforeach()
install(FILES ${CMAKE_BINARY_DIR}/dist/meshagent.socket ${CMAKE_BINARY_DIR}/dist/meshagent.service
	DESTINATION lib/systemd/user)
install(FILES ${CMAKE_BINARY_DIR}/dist/meshagent.desktop
	DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/xdg/autostart)
