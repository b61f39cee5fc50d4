/* SPDX-License-Identifier: MIT */
/* core/platform.h on Linux: terminals, standard output for secrets, inputs read as they come,
 * private files. */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"

struct MeshPlatformInput {
	int fd;
	gboolean owned;         /* closed with the input (not standard input) */
	gboolean interruptible; /* a read stops once mesh_platform_interrupted() */
	gboolean quiet;         /* echo is off: saved holds the terminal's settings */
	struct termios saved;
};

gboolean
mesh_platform_is_terminal(MeshPlatformStream stream)
{
	static const int fds[] = {
	        [MESH_PLATFORM_STDIN] = STDIN_FILENO,
	        [MESH_PLATFORM_STDOUT] = STDOUT_FILENO,
	        [MESH_PLATFORM_STDERR] = STDERR_FILENO,
	};

	return isatty(fds[stream]) == 1;
}

gboolean
mesh_platform_write_stdout(const guint8 *data, gsize len)
{
	fflush(stdout);
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* The MeshError for the errno of a failed open(). */
static MeshError
open_code(int saved)
{
	return saved == ENOENT   ? MESH_ERROR_NOT_FOUND
	       : saved == EACCES ? MESH_ERROR_PERMISSION
	                         : MESH_ERROR_IO;
}

static MeshPlatformInput *
input_new(int fd, gboolean owned, gboolean interruptible)
{
	MeshPlatformInput *input = g_new0(MeshPlatformInput, 1);

	input->fd = fd;
	input->owned = owned;
	input->interruptible = interruptible;
	return input;
}

MeshPlatformInput *
mesh_platform_input_open(const char *path, gboolean interruptible, GError **error)
{
	int fd;

	if (path == NULL || g_str_equal(path, "-"))
		return input_new(STDIN_FILENO, FALSE, interruptible);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		g_set_error(error, MESH_ERROR, open_code(saved), "%s", g_strerror(saved));
		return NULL;
	}
	return input_new(fd, TRUE, interruptible);
}

MeshPlatformInput *
mesh_platform_input_terminal(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		fd = dup(STDIN_FILENO);
	return input_new(fd, fd >= 0, FALSE);
}

gssize
mesh_platform_input_read(MeshPlatformInput *input, void *buf, gsize len, GError **error)
{
	for (;;) {
		ssize_t n;

		if (input->interruptible && mesh_platform_interrupted()) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_CANCELLED, "interrupted");
			return -1;
		}
		n = read(input->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "%s", g_strerror(errno));
			return -1;
		}
		return n;
	}
}

int
mesh_platform_input_wait(MeshPlatformInput *input, int timeout_ms)
{
	struct pollfd p = {.fd = input->fd, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	return (p.revents & (POLLIN | POLLHUP)) != 0 ? 1 : -1;
}

gboolean
mesh_platform_input_echo(MeshPlatformInput *input, gboolean echo, GError **error)
{
	struct termios quiet;

	if (echo) {
		if (input->quiet)
			tcsetattr(input->fd, TCSAFLUSH, &input->saved);
		input->quiet = FALSE;
		return TRUE;
	}
	if (tcgetattr(input->fd, &input->saved) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_IO, "%s", g_strerror(errno));
		return FALSE;
	}
	quiet = input->saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	tcsetattr(input->fd, TCSAFLUSH, &quiet);
	input->quiet = TRUE;
	return TRUE;
}

void
mesh_platform_input_close(MeshPlatformInput *input)
{
	if (input == NULL)
		return;
	mesh_platform_input_echo(input, TRUE, NULL);
	if (input->owned)
		close(input->fd);
	g_free(input);
}

gboolean
mesh_platform_private_file(const char *path, const char *what, GError **error)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		int saved = errno;

		/* O_NOFOLLOW: a link in place of the file is ELOOP. */
		g_set_error(error, MESH_ERROR,
		            saved == ELOOP ? MESH_ERROR_PERMISSION : MESH_ERROR_IO,
		            "cannot open %s %s: %s", what, path, g_strerror(saved));
		return FALSE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid()) {
		close(fd);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s %s is not a regular file of this user", what, path);
		return FALSE;
	}
	close(fd);
	if ((st.st_mode & 077) != 0) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s %s may be read by other users: chmod 600 %s", what, path, path);
		return FALSE;
	}
	return TRUE;
}
