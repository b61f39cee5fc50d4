/* SPDX-License-Identifier: MIT */
/*
 * The other end of test-caller's connections: "caller-child SOCKET MODE" connects to the Unix
 * socket SOCKET, then by MODE: "wait" until the other end closes; "nodump" the same, having made
 * itself non-dumpable before connecting; "exit" at once. It never outlives a minute.
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char byte;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof addr.sun_path)
		return 2;
	alarm(60);
	if (strcmp(argv[2], "nodump") == 0 && prctl(PR_SET_DUMPABLE, 0) != 0)
		return 3;
	memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		perror("caller-child: connect");
		return 4;
	}
	if (strcmp(argv[2], "exit") == 0)
		return 0;
	while (read(fd, &byte, 1) > 0)
		;
	return 0;
}
