/* Writing a whole output file (--metrics-out, graph --output) without
 * surprises: a regular file is replaced atomically and keeps its mode; a
 * symlink, a device or a FIFO is written in place (the link stays a link,
 * /dev/stdout stays the terminal); every write error is reported. */
#include "host/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

gboolean
inf_host_write_file(const char *path, const char *text, gssize length, GError **error)
{
  gsize size = length < 0 ? strlen(text) : (gsize)length;
  struct stat lst, st;
  gboolean exists = lstat(path, &lst) == 0;

  if (!exists || (S_ISREG(lst.st_mode) && lst.st_nlink <= 1)) {
    /* New, or a plain regular file: replaced atomically, mode kept. */
    g_autoptr(GError) local = NULL;
    int mode = exists ? (int)(lst.st_mode & 07777) : 0666;
    if (!g_file_set_contents_full(path, text, (gssize)size, G_FILE_SET_CONTENTS_CONSISTENT, mode,
                                  &local)) {
      g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot write %s: %s", path, local->message);
      return FALSE;
    }
    return TRUE;
  }
  /* A symlink (followed), a hard-linked file, a device or a FIFO: in place. */
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot open %s for writing: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
    int saved = errno;
    close(fd);
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot truncate %s: %s", path, g_strerror(saved));
    return FALSE;
  }
  gsize done = 0;
  while (done < size) {
    ssize_t n = write(fd, text + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : EIO;
      close(fd);
      g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot write %s: %s", path, g_strerror(saved));
      return FALSE;
    }
    done += (gsize)n;
  }
  if (close(fd) != 0) {
    int saved = errno;
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot write %s: %s", path, g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}
