/* InfHttpSession: one libcurl multi handle driven by a GLib main context.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to wake it up (CURLMOPT_TIMERFUNCTION); we watch the sockets and keep one
 * timer GSource, and call curl_multi_socket_action() when they fire.
 *
 * Sockets are watched, on Linux, through one epoll set that a single GSource
 * polls: the main loop polls one descriptor however many connections are
 * open, and a socket changing direction costs an epoll_ctl() instead of a
 * GSource (re)creation and a wakeup of the context. Elsewhere (or with
 * INF_HTTP_WATCHER=gsource) each socket has its own GSource.
 *
 * Finished transfers are collected with curl_multi_info_read() after every
 * curl_multi_socket_action() and completed right there, on the main loop,
 * outside any curl callback (so @done may send again). Once a callback has
 * asked to free the session, nothing else completes normally: the rest is
 * cancelled.
 *
 * Rules kept here (see the notes on libcurl multi on GLib):
 *  - we hold GSource pointers and destroy them; no numeric ids;
 *  - a 0 ms timer becomes a 0 ms source: no call into libcurl from inside
 *    the timer callback; -1 removes the timer;
 *  - CURL_POLL_REMOVE for a socket we never saw is ignored;
 *  - easy handles are added and removed only outside curl callbacks;
 *  - curl_multi_cleanup() runs before the socket table is freed.
 *
 * Connections are kept alive and reused; when a reused connection turns out
 * to be closed before any byte of the reply arrived, libcurl itself resends
 * the request once on a fresh connection (a stale keep-alive connection is
 * not an error).
 *
 * Easy handles and response buffers are pooled, so a steady stream of
 * requests allocates little besides what the caller builds.
 */
#include "resources/http-private.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#define HAVE_EPOLL 1
#endif

/* Connections kept alive in the multi handle's cache (per session). Not a
 * cap on connections in flight: the resource manager limits concurrency. */
#define CONNECTION_CACHE_SIZE 256
/* Pooled easy handles and responses kept for reuse. */
#define POOL_SIZE 512
/* Response bodies larger than this are not kept in the pool. */
#define POOL_MAX_BODY_CAPACITY (1024 * 1024)

typedef struct {
  GSource source;
  InfHttpSession *session;
  curl_socket_t fd;
  gpointer tag;
} SocketSource;

struct _InfHttpSession {
  GMainContext *context;
  long max_connections; /* the cap below RLIMIT_NOFILE, or 0 for none */
  long fd_limit;        /* RLIMIT_NOFILE when the session began, or 0 */
  CURLM *multi;
  GSource *timer; /* curl's pending timer, or NULL */
  gboolean timer_is_zero;
  GHashTable *sockets; /* portable watcher: fd -> SocketSource * (owned) */
  int epoll_fd;        /* Linux watcher: an epoll set of curl's sockets, or -1 */
  GSource *epoll_source;
  GByteArray *registered; /* epoll: 1 at [fd] when fd is in the set */
  GQueue in_flight;       /* requests whose easy handle is in the multi handle */
  GQueue pending;         /* requests that failed before reaching curl */
  GSource *pending_source;
  GPtrArray *easy_pool;     /* CURL * */
  GPtrArray *response_pool; /* InfHttpResponse * */
  guint depth;              /* > 0 while we run curl or callers' callbacks */
  gboolean free_requested;  /* inf_http_session_free() called at depth > 0 */
  gboolean closing;
  guint64 n_completed;
  guint64 n_connections;
};

static void session_free_now(InfHttpSession *session);

static void
session_enter(InfHttpSession *session)
{
  session->depth++;
}

/* May free @session: touch nothing after it. */
static void
session_leave(InfHttpSession *session)
{
  g_assert(session->depth > 0);
  if (--session->depth == 0 && session->free_requested)
    session_free_now(session);
}

static const char *
request_method(const InfHttpRequest *request)
{
  return request->body != NULL ? "POST" : "GET";
}

/* --- completion ---------------------------------------------------------- */

static void
recycle(InfHttpSession *session, InfHttpRequest *request)
{
  if (request->easy != NULL) {
    if (!session->closing && session->easy_pool->len < POOL_SIZE) {
      curl_easy_reset(request->easy);
      g_ptr_array_add(session->easy_pool, request->easy);
    } else {
      curl_easy_cleanup(request->easy);
    }
    request->easy = NULL;
  }
  if (request->response != NULL) {
    if (!session->closing && session->response_pool->len < POOL_SIZE &&
        request->response->body->allocated_len <= POOL_MAX_BODY_CAPACITY) {
      inf_http_response_reset(request->response);
      g_ptr_array_add(session->response_pool, request->response);
    } else {
      inf_http_response_free(request->response);
    }
    request->response = NULL;
  }
}

/* Runs the caller's callback, then frees @request. */
static void
finish(InfHttpSession *session, InfHttpRequest *request, const InfHttpResponse *response,
       const GError *error)
{
  session->n_completed++;
  if (request->done != NULL)
    request->done(request, response, error, request->user_data);
  recycle(session, request);
  request->session = NULL;
  inf_http_request_free(request);
}

static GError *
transfer_error(InfHttpRequest *request, CURLcode code)
{
  g_autofree char *url = inf_http_redact_url(request->url);
  const char *detail = request->error_buffer[0] != '\0' ? request->error_buffer : NULL;
  const char *summary = curl_easy_strerror(code);
  InfErrorCode inf_code;

  switch (code) {
  case CURLE_OPERATION_TIMEDOUT:
    inf_code = INF_ERROR_TIMEOUT;
    break;
  case CURLE_FILESIZE_EXCEEDED:
    request->over_size = TRUE;
    inf_code = INF_ERROR_BAD_RESPONSE;
    break;
  case CURLE_WRITE_ERROR:
    inf_code = request->over_size ? INF_ERROR_BAD_RESPONSE : INF_ERROR_TRANSPORT;
    break;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
    inf_code = INF_ERROR_CONFIG;
    break;
  default:
    /* Connection refused or reset, DNS, TLS, send/receive failures, a
     * partial body, an empty reply, HTTP/2 stream errors. */
    inf_code = INF_ERROR_TRANSPORT;
    break;
  }
  /* curl refuses a single header line over 100 KiB itself, as "out of
   * memory" before any body arrived; larger header blocks stop at our own
   * limit. */
  if (request->header_too_large ||
      (code == CURLE_OUT_OF_MEMORY && request->response->body->len == 0))
    return g_error_new(INF_ERROR, INF_ERROR_BAD_RESPONSE,
                       "response header from %s too large (over %d KiB): a broken server or "
                       "proxy",
                       url, INF_HTTP_MAX_HEADER_BYTES / 1024);
  if (request->over_size)
    return g_error_new(INF_ERROR, INF_ERROR_BAD_RESPONSE,
                       "response from %s exceeds %" G_GINT64_FORMAT " bytes", url,
                       request->response->max_bytes);
  if (detail != NULL && strstr(detail, g_strerror(EMFILE)) != NULL)
    return g_error_new(INF_ERROR, inf_code,
                       "%s %s: %s (%s): out of file descriptors; the limit is %ld (ulimit -n): "
                       "raise it",
                       request_method(request), url, summary, detail,
                       request->session != NULL ? request->session->fd_limit : 0L);
  if (detail != NULL && strcmp(detail, summary) != 0)
    return g_error_new(INF_ERROR, inf_code, "%s %s: %s (%s)", request_method(request), url, summary,
                       detail);
  return g_error_new(INF_ERROR, inf_code, "%s %s: %s", request_method(request), url, summary);
}

static void
complete_transfer(InfHttpSession *session, InfHttpRequest *request, CURLcode code)
{
  g_queue_unlink(&session->in_flight, &request->link);
  long status = 0, connects = 0;
  curl_easy_getinfo(request->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(request->easy, CURLINFO_NUM_CONNECTS, &connects);
  session->n_connections += (guint64)MAX(connects, 0);
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && request->body_stopped)) {
    request->response->status = (guint)status;
    finish(session, request, request->response, NULL);
  } else {
    g_autoptr(GError) error = transfer_error(request, code);
    finish(session, request, NULL, error);
  }
}

/* Completes every finished transfer. Called after each socket action, never
 * from a curl callback. */
static void
check_done(InfHttpSession *session)
{
  CURLMsg *message;
  int left;
  while (!session->free_requested &&
         (message = curl_multi_info_read(session->multi, &left)) != NULL) {
    if (message->msg != CURLMSG_DONE)
      continue;
    CURL *easy = message->easy_handle;
    CURLcode code = message->data.result; /* @message dies with remove_handle */
    InfHttpRequest *request = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&request);
    curl_multi_remove_handle(session->multi, easy);
    if (request != NULL)
      complete_transfer(session, request, code);
  }
}

static void
socket_action(InfHttpSession *session, curl_socket_t fd, int mask)
{
  int running = 0;
  session_enter(session);
  CURLMcode rc = curl_multi_socket_action(session->multi, fd, mask, &running);
  if (rc != CURLM_OK)
    g_warning("curl_multi_socket_action: %s", curl_multi_strerror(rc));
  check_done(session);
  session_leave(session);
}

/* --- sockets ------------------------------------------------------------- */

static gboolean
socket_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void)callback;
  (void)user_data;
  SocketSource *socket_source = (SocketSource *)source;
  GIOCondition events = g_source_query_unix_fd(source, socket_source->tag);
  int mask = 0;
  if (events & G_IO_IN)
    mask |= CURL_CSELECT_IN;
  if (events & G_IO_OUT)
    mask |= CURL_CSELECT_OUT;
  if (events & (G_IO_ERR | G_IO_HUP))
    mask |= CURL_CSELECT_ERR;
  /* The context holds a reference while we dispatch, so curl removing this
   * socket (destroying the source) inside the action is fine. */
  socket_action(socket_source->session, socket_source->fd, mask);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs socket_source_funcs = {
  .dispatch = socket_source_dispatch,
};

static void
socket_source_drop(gpointer data)
{
  GSource *source = data;
  g_source_destroy(source);
  g_source_unref(source);
}

static GIOCondition
poll_condition(int what)
{
  GIOCondition condition = 0;
  if (what & CURL_POLL_IN)
    condition |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    condition |= G_IO_OUT;
  return condition;
}

#ifdef HAVE_EPOLL
static gboolean
epoll_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void)callback;
  (void)user_data;
  InfHttpSession *session = ((SocketSource *)source)->session;
  struct epoll_event events[64];
  int n = epoll_wait(session->epoll_fd, events, G_N_ELEMENTS(events), 0);
  if (n <= 0)
    return G_SOURCE_CONTINUE;
  session_enter(session);
  for (int i = 0; i < n && !session->free_requested; i++) {
    int mask = 0;
    if (events[i].events & EPOLLIN)
      mask |= CURL_CSELECT_IN;
    if (events[i].events & EPOLLOUT)
      mask |= CURL_CSELECT_OUT;
    if (events[i].events & (EPOLLERR | EPOLLHUP))
      mask |= CURL_CSELECT_ERR;
    /* A socket closed by an earlier action of this batch is unknown to curl
     * by now: the action then only runs due timers. */
    socket_action(session, events[i].data.fd, mask);
  }
  session_leave(session);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs epoll_source_funcs = {
  .dispatch = epoll_source_dispatch,
};

static gboolean
epoll_is_registered(InfHttpSession *session, curl_socket_t fd)
{
  return (guint)fd < session->registered->len && session->registered->data[fd] != 0;
}

static void
epoll_set_registered(InfHttpSession *session, curl_socket_t fd, gboolean registered)
{
  if ((guint)fd >= session->registered->len) {
    if (!registered)
      return;
    guint old = session->registered->len;
    g_byte_array_set_size(session->registered, MAX((guint)fd + 1, old * 2));
    memset(session->registered->data + old, 0, session->registered->len - old);
  }
  session->registered->data[fd] = registered ? 1 : 0;
}

static void
epoll_watch(InfHttpSession *session, curl_socket_t fd, int what)
{
  if (what == CURL_POLL_REMOVE) {
    /* Unknown sockets too (curl's internal handles): ENOENT is fine. */
    epoll_ctl(session->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    epoll_set_registered(session, fd, FALSE);
    return;
  }
  struct epoll_event event = { .events = 0, .data.fd = fd };
  if (what & CURL_POLL_IN)
    event.events |= EPOLLIN;
  if (what & CURL_POLL_OUT)
    event.events |= EPOLLOUT;
  int op = epoll_is_registered(session, fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(session->epoll_fd, op, fd, &event) != 0) {
    /* Our flag was stale (a number reused after curl closed a socket). */
    op = errno == ENOENT ? EPOLL_CTL_ADD : errno == EEXIST ? EPOLL_CTL_MOD : -1;
    if (op < 0 || epoll_ctl(session->epoll_fd, op, fd, &event) != 0) {
      g_warning("epoll_ctl on a curl socket: %s", g_strerror(errno));
      return;
    }
  }
  epoll_set_registered(session, fd, TRUE);
}
#endif

static int
socket_callback(CURL *easy, curl_socket_t fd, int what, void *user_data, void *socket_data)
{
  (void)easy;
  (void)socket_data; /* may be NULL even for sockets we watch; our table is the truth */
  InfHttpSession *session = user_data;
#ifdef HAVE_EPOLL
  if (session->epoll_fd >= 0) {
    epoll_watch(session, fd, what);
    return 0;
  }
#endif
  gpointer key = GINT_TO_POINTER(fd);

  if (what == CURL_POLL_REMOVE) {
    /* Possibly a socket we never saw (curl's internal handles): fine. */
    g_hash_table_remove(session->sockets, key);
    return 0;
  }
  SocketSource *source = g_hash_table_lookup(session->sockets, key);
  if (source != NULL) {
    g_source_modify_unix_fd(&source->source, source->tag, poll_condition(what));
    return 0;
  }
  if (session->closing)
    return 0;
  source = (SocketSource *)g_source_new(&socket_source_funcs, sizeof(SocketSource));
  source->session = session;
  source->fd = fd;
  source->tag = g_source_add_unix_fd(&source->source, fd, poll_condition(what));
  g_source_set_static_name(&source->source, "inf-http-socket");
  g_source_attach(&source->source, session->context);
  g_hash_table_insert(session->sockets, key, source);
  return 0;
}

/* --- timer --------------------------------------------------------------- */

static gboolean
timer_fired(gpointer user_data)
{
  InfHttpSession *session = user_data;
  /* Only the current timer can fire (replaced ones are destroyed). */
  g_source_unref(session->timer);
  session->timer = NULL;
  socket_action(session, CURL_SOCKET_TIMEOUT, 0);
  return G_SOURCE_REMOVE;
}

static int
timer_callback(CURLM *multi, long timeout_ms, void *user_data)
{
  (void)multi;
  InfHttpSession *session = user_data;
  /* "Now" again while a 0 ms timer is pending: keep it. */
  if (timeout_ms == 0 && session->timer != NULL && session->timer_is_zero)
    return 0;
  if (session->timer != NULL) {
    g_source_destroy(session->timer);
    g_source_unref(session->timer);
    session->timer = NULL;
  }
  if (timeout_ms < 0 || session->closing)
    return 0;
  /* Even 0 ms goes through the loop: calling libcurl from here recurses. */
  session->timer = g_timeout_source_new((guint)MIN(timeout_ms, (long)G_MAXUINT));
  session->timer_is_zero = timeout_ms == 0;
  g_source_set_static_name(session->timer, "inf-http-timer");
  g_source_set_callback(session->timer, timer_fired, session, NULL);
  g_source_attach(session->timer, session->context);
  return 0;
}

/* --- session ------------------------------------------------------------- */

static gpointer
global_init(gpointer data)
{
  (void)data;
  CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK)
    g_error("curl_global_init: %s", curl_easy_strerror(code));
  return NULL;
}

InfHttpSession *
inf_http_session_new(GMainContext *context)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, global_init, NULL);

  InfHttpSession *session = g_new0(InfHttpSession, 1);
  session->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
  session->sockets = g_hash_table_new_full(NULL, NULL, NULL, socket_source_drop);
  session->epoll_fd = -1;
#ifdef HAVE_EPOLL
  if (g_strcmp0(g_getenv("INF_HTTP_WATCHER"), "gsource") != 0)
    session->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (session->epoll_fd >= 0) {
    session->registered = g_byte_array_sized_new(1024);
    g_byte_array_set_size(session->registered, 1024);
    memset(session->registered->data, 0, 1024);
    session->epoll_source = g_source_new(&epoll_source_funcs, sizeof(SocketSource));
    ((SocketSource *)session->epoll_source)->session = session;
    ((SocketSource *)session->epoll_source)->fd = session->epoll_fd;
    ((SocketSource *)session->epoll_source)->tag =
        g_source_add_unix_fd(session->epoll_source, session->epoll_fd, G_IO_IN);
    g_source_set_static_name(session->epoll_source, "inf-http-epoll");
    g_source_attach(session->epoll_source, session->context);
  }
#endif
  session->easy_pool = g_ptr_array_new();
  session->response_pool = g_ptr_array_new();
  g_queue_init(&session->in_flight);
  g_queue_init(&session->pending);

  session->multi = curl_multi_init();
  if (session->multi == NULL)
    g_error("curl_multi_init failed (out of memory)");
  curl_multi_setopt(session->multi, CURLMOPT_SOCKETFUNCTION, socket_callback);
  curl_multi_setopt(session->multi, CURLMOPT_SOCKETDATA, session);
  curl_multi_setopt(session->multi, CURLMOPT_TIMERFUNCTION, timer_callback);
  curl_multi_setopt(session->multi, CURLMOPT_TIMERDATA, session);
  curl_multi_setopt(session->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  curl_multi_setopt(session->multi, CURLMOPT_MAXCONNECTS, (long)CONNECTION_CACHE_SIZE);
  /* Connections stay below the file descriptor limit, with room for the
   * other files of the process: beyond the cap, curl queues requests until a
   * connection frees, instead of failing them with "Couldn't connect". */
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < (rlim_t)G_MAXLONG) {
    session->fd_limit = (long)limit.rlim_cur;
    long reserve = MIN(64, session->fd_limit / 2);
    session->max_connections = MAX(session->fd_limit - reserve, 1);
    curl_multi_setopt(session->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, session->max_connections);
  }
  return session;
}

guint
inf_http_session_get_in_flight(const InfHttpSession *session)
{
  g_return_val_if_fail(session != NULL, 0);
  return session->in_flight.length + session->pending.length;
}

guint64
inf_http_session_get_n_completed(const InfHttpSession *session)
{
  g_return_val_if_fail(session != NULL, 0);
  return session->n_completed;
}

guint64
inf_http_session_get_n_connections(const InfHttpSession *session)
{
  g_return_val_if_fail(session != NULL, 0);
  return session->n_connections;
}

static gboolean
pending_dispatch(gpointer user_data)
{
  InfHttpSession *session = user_data;
  g_source_unref(session->pending_source);
  session->pending_source = NULL;
  session_enter(session);
  GList *link;
  while (!session->free_requested && (link = g_queue_pop_head_link(&session->pending)) != NULL) {
    InfHttpRequest *request = link->data;
    g_autoptr(GError) error = g_steal_pointer(&request->error);
    finish(session, request, NULL, error);
  }
  session_leave(session);
  return G_SOURCE_REMOVE;
}

/* Completes @request with @error from the main loop, never inside send(). */
static void
fail_later(InfHttpSession *session, InfHttpRequest *request, GError *error)
{
  request->error = error;
  g_queue_push_tail_link(&session->pending, &request->link);
  if (session->pending_source == NULL && !session->closing) {
    session->pending_source = g_idle_source_new();
    g_source_set_static_name(session->pending_source, "inf-http-pending");
    g_source_set_priority(session->pending_source, G_PRIORITY_DEFAULT);
    g_source_set_callback(session->pending_source, pending_dispatch, session, NULL);
    g_source_attach(session->pending_source, session->context);
  }
}

static size_t
write_callback(char *data, size_t size, size_t count, void *user_data)
{
  InfHttpRequest *request = user_data;
  InfHttpResponse *response = request->response;
  gsize length = size * count;
  if ((gint64)(response->body->len + response->streamed + length) > response->max_bytes) {
    request->over_size = TRUE;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  if (request->body_func != NULL) {
    long status = 0;
    curl_easy_getinfo(request->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      /* A stream: handed on as it arrives, not kept. */
      response->streamed += length;
      if (!request->body_func(request, data, length, request->body_data)) {
        request->body_stopped = TRUE;
        return 0;
      }
      return length;
    }
  }
  g_string_append_len(response->body, data, (gssize)length);
  return length;
}

static size_t
header_callback(char *data, size_t size, size_t count, void *user_data)
{
  InfHttpRequest *request = user_data;
  gsize length = size * count;
  request->header_bytes += length;
  if (request->header_bytes > INF_HTTP_MAX_HEADER_BYTES) {
    request->header_too_large = TRUE;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  inf_http_response_add_header_line(request->response, data, length);
  return length;
}

#define SETOPT(option, value)                                                                \
  G_STMT_START                                                                               \
  {                                                                                          \
    CURLcode code_ = curl_easy_setopt(easy, option, value);                                  \
    if (code_ != CURLE_OK) {                                                                 \
      g_autofree char *url_ = inf_http_redact_url(request->url);                             \
      return g_error_new(INF_ERROR, INF_ERROR_CONFIG, "%s %s: cannot set %s: %s",            \
                         request_method(request), url_, #option, curl_easy_strerror(code_)); \
    }                                                                                        \
  }                                                                                          \
  G_STMT_END

static GError *
configure(InfHttpRequest *request)
{
  CURL *easy = request->easy;
  request->error_buffer[0] = '\0';
  SETOPT(CURLOPT_URL, request->url);
  SETOPT(CURLOPT_PRIVATE, request);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_ERRORBUFFER, request->error_buffer);
  SETOPT(CURLOPT_WRITEFUNCTION, write_callback);
  SETOPT(CURLOPT_WRITEDATA, request);
  SETOPT(CURLOPT_HEADERFUNCTION, header_callback);
  SETOPT(CURLOPT_HEADERDATA, request);
#if LIBCURL_VERSION_NUM >= 0x075500
  SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  SETOPT(CURLOPT_USERAGENT, "inf-engine/" INF_VERSION_STRING);
  /* No "Expect: 100-continue" round trip for larger bodies. */
  request->headers = curl_slist_append(request->headers, "Expect:");
  SETOPT(CURLOPT_HTTPHEADER, request->headers);
  if (request->body != NULL) {
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
    SETOPT(CURLOPT_POSTFIELDS, request->body);
  } else {
    SETOPT(CURLOPT_HTTPGET, 1L);
  }
  if (request->timeout_ms > 0)
    SETOPT(CURLOPT_TIMEOUT_MS, (long)MIN(request->timeout_ms, (gint64)G_MAXLONG));
  /* Over TLS, ALPN says after the handshake whether the server multiplexes
   * (HTTP/2): wait for that rather than open a connection per request. Plain
   * http:// is HTTP/1.1, where waiting would hold every new request until the
   * first reply arrived. */
  if (g_ascii_strncasecmp(request->url, "https:", 6) == 0)
    SETOPT(CURLOPT_PIPEWAIT, 1L);
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
  if (request->ca_file != NULL)
    SETOPT(CURLOPT_CAINFO, request->ca_file);
  SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)request->response->max_bytes);
  return NULL;
}

#undef SETOPT

void
inf_http_session_send(InfHttpSession *session, InfHttpRequest *request, InfHttpDoneFunc done,
                      gpointer user_data)
{
  g_return_if_fail(session != NULL);
  g_return_if_fail(request != NULL && request->session == NULL);

  request->session = session;
  request->done = done;
  request->user_data = user_data;
  request->over_size = FALSE;
  request->header_bytes = 0;
  request->header_too_large = FALSE;
  request->body_stopped = FALSE;

  if (session->closing) {
    g_autofree char *url = inf_http_redact_url(request->url);
    fail_later(session, request,
               g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "request to %s cancelled", url));
    return;
  }
  if (request->url == NULL) {
    fail_later(
        session, request,
        g_error_new_literal(INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "HTTP request without a URL"));
    return;
  }

  request->easy =
      session->easy_pool->len > 0
          ? g_ptr_array_steal_index_fast(session->easy_pool, session->easy_pool->len - 1)
          : curl_easy_init();
  if (request->easy == NULL)
    g_error("curl_easy_init failed (out of memory)");
  request->response =
      session->response_pool->len > 0
          ? g_ptr_array_steal_index_fast(session->response_pool, session->response_pool->len - 1)
          : inf_http_response_alloc();
  request->response->max_bytes = request->max_response_bytes > 0
                                     ? request->max_response_bytes
                                     : INF_HTTP_DEFAULT_MAX_RESPONSE_BYTES;

  GError *error = configure(request);
  if (error != NULL) {
    fail_later(session, request, error);
    return;
  }
  g_queue_push_tail_link(&session->in_flight, &request->link);
  CURLMcode rc = curl_multi_add_handle(session->multi, request->easy);
  if (rc != CURLM_OK) {
    g_queue_unlink(&session->in_flight, &request->link);
    g_autofree char *url = inf_http_redact_url(request->url);
    fail_later(session, request,
               g_error_new(INF_ERROR, INF_ERROR_TRANSPORT, "%s %s: %s", request_method(request),
                           url, curl_multi_strerror(rc)));
  }
}

void
inf_http_session_cancel(InfHttpSession *session, InfHttpRequest *request)
{
  g_return_if_fail(session != NULL && request != NULL && request->session == session);
  if (request->error != NULL) {
    g_queue_unlink(&session->pending, &request->link); /* failed before curl */
    g_clear_error(&request->error);
  } else {
    g_queue_unlink(&session->in_flight, &request->link);
    curl_multi_remove_handle(session->multi, request->easy);
  }
  request->done = NULL;
  finish(session, request, NULL, NULL);
}

static void
session_free_now(InfHttpSession *session)
{
  session->closing = TRUE;
  session->free_requested = FALSE;
  session->depth++; /* a callback calling free again only sets free_requested */

  GList *link;
  for (;;) {
    InfHttpRequest *request;
    g_autoptr(GError) error = NULL;
    if ((link = g_queue_pop_head_link(&session->in_flight)) != NULL) {
      request = link->data;
      curl_multi_remove_handle(session->multi, request->easy);
    } else if ((link = g_queue_pop_head_link(&session->pending)) != NULL) {
      request = link->data;
      error = g_steal_pointer(&request->error); /* failed already: say why */
    } else {
      break;
    }
    if (error == NULL) {
      g_autofree char *url = inf_http_redact_url(request->url);
      error = g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "request to %s cancelled", url);
    }
    finish(session, request, NULL, error);
  }
  if (session->pending_source != NULL) {
    g_source_destroy(session->pending_source);
    g_clear_pointer(&session->pending_source, g_source_unref);
  }

  /* May call the socket and timer callbacks: the table must still exist. */
  curl_multi_cleanup(session->multi);
  session->multi = NULL;
  g_hash_table_destroy(session->sockets);
  if (session->epoll_source != NULL) {
    g_source_destroy(session->epoll_source);
    g_clear_pointer(&session->epoll_source, g_source_unref);
  }
  if (session->epoll_fd >= 0)
    close(session->epoll_fd);
  if (session->registered != NULL)
    g_byte_array_unref(session->registered);
  if (session->timer != NULL) {
    g_source_destroy(session->timer);
    g_clear_pointer(&session->timer, g_source_unref);
  }
  for (guint i = 0; i < session->easy_pool->len; i++)
    curl_easy_cleanup(g_ptr_array_index(session->easy_pool, i));
  g_ptr_array_unref(session->easy_pool);
  for (guint i = 0; i < session->response_pool->len; i++)
    inf_http_response_free(g_ptr_array_index(session->response_pool, i));
  g_ptr_array_unref(session->response_pool);
  g_main_context_unref(session->context);
  g_free(session);
}

void
inf_http_session_free(InfHttpSession *session)
{
  if (session == NULL)
    return;
  if (session->depth > 0) {
    /* Called from one of our callbacks: finish it when they return. */
    session->free_requested = TRUE;
    return;
  }
  session_free_now(session);
}
