/* inf-engine SDK — a binary min-heap kept in a GArray.
 *
 * For work ordered by time or priority (replies due at a time, nodes ready
 * to run): the heap is a plain GArray of elements of any size, which the
 * caller creates (g_array_new), frees (g_array_unref) and may read: the
 * element that @compare orders first is at index 0 (peek it with
 * g_array_index(heap, T, 0)); the others are in no useful order. Change the
 * array only through these functions. Elements that compare equal come out
 * in no particular order: compare a sequence number last for first-in,
 * first-out among equals.
 *
 * @compare gets two pointers to elements and returns a negative number when
 * the first one must come out before the second, as for qsort().
 *
 * Thread: any thread; a heap is used by one thread at a time.
 */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* Adds a copy of the element at @element (g_array_get_element_size(@heap)
 * bytes) to @heap, in O(log n) comparisons.
 * @heap: (transfer none) the heap
 * @element: (transfer none) the element to copy in (not a pointer into @heap,
 *          which may move)
 * Since: 1.1 */
INF_API void inf_heap_push(GArray *heap, gconstpointer element, GCompareFunc compare);

/* Removes the element that @compare orders first from @heap, in O(log n)
 * comparisons, and copies it to @out_element. Returns FALSE, and copies
 * nothing, when @heap is empty.
 * @heap: (transfer none) the heap
 * @out_element: (nullable) where to copy the element (NULL: drop it)
 * Since: 1.1 */
INF_API gboolean inf_heap_pop(GArray *heap, gpointer out_element, GCompareFunc compare);

G_END_DECLS
