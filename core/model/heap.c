/* The binary min-heap of the SDK (inf/heap.h): sift-up and sift-down that
 * move a hole instead of swapping, so each level costs one copy. */
#include <inf/heap.h>

#include <string.h>

/* Elements up to this size are held on the stack while they move. */
#define HEAP_STACK_BYTES 256

#define AT(data, size, i) ((data) + (gsize)(i) * (size))

void
inf_heap_push(GArray *heap, gconstpointer element, GCompareFunc compare)
{
  g_return_if_fail(heap != NULL && element != NULL && compare != NULL);
  guint size = g_array_get_element_size(heap);
  guint i = heap->len;
  g_array_set_size(heap, i + 1);
  guint8 *data = (guint8 *)heap->data;
  /* Parents that come after the new element move down into the hole. */
  while (i > 0) {
    guint parent = (i - 1) / 2;
    if (compare(element, AT(data, size, parent)) >= 0)
      break;
    memcpy(AT(data, size, i), AT(data, size, parent), size);
    i = parent;
  }
  memcpy(AT(data, size, i), element, size);
}

gboolean
inf_heap_pop(GArray *heap, gpointer out_element, GCompareFunc compare)
{
  g_return_val_if_fail(heap != NULL && compare != NULL, FALSE);
  if (heap->len == 0)
    return FALSE;
  guint size = g_array_get_element_size(heap);
  guint8 *data = (guint8 *)heap->data;
  if (out_element != NULL)
    memcpy(out_element, data, size);
  guint n = heap->len - 1;
  if (n > 0) {
    /* The last element goes into the hole at the root and sinks. */
    guint8 stack[HEAP_STACK_BYTES];
    g_autofree guint8 *allocated = size > sizeof stack ? g_malloc(size) : NULL;
    guint8 *last = allocated != NULL ? allocated : stack;
    memcpy(last, AT(data, size, n), size);
    guint i = 0;
    for (;;) {
      guint child = 2 * i + 1;
      if (child >= n)
        break;
      if (child + 1 < n && compare(AT(data, size, child + 1), AT(data, size, child)) < 0)
        child++;
      if (compare(AT(data, size, child), last) >= 0)
        break;
      memcpy(AT(data, size, i), AT(data, size, child), size);
      i = child;
    }
    memcpy(AT(data, size, i), last, size);
  }
  g_array_set_size(heap, n);
  return TRUE;
}
