/* Unit tests of the SDK's binary min-heap (inf/heap.h): elements come out in
 * the compare function's order whatever order they went in, ties broken by
 * the caller's sequence number, large elements, an empty heap. */
#include <inf/inf.h>
#include <string.h>

typedef struct {
  gint key;
  guint seq;
} Item;

static gint
item_compare(gconstpointer pa, gconstpointer pb)
{
  const Item *a = pa, *b = pb;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static gint
int_compare(gconstpointer a, gconstpointer b)
{
  gint x = *(const gint *)a, y = *(const gint *)b;
  return x < y ? -1 : x > y;
}

/* Random keys with many repeats, pushes and pops interleaved: every pop is
 * the least (key, seq) of what is in the heap, checked against a sorted
 * copy. */
static void
test_order(void)
{
  GRand *rand = g_rand_new_with_seed(7);
  GArray *heap = g_array_new(FALSE, FALSE, sizeof(Item));
  GArray *model = g_array_new(FALSE, FALSE, sizeof(Item));
  guint seq = 0;

  for (guint round = 0; round < 2000; round++) {
    if (model->len == 0 || g_rand_int_range(rand, 0, 3) != 0) {
      Item item = { .key = g_rand_int_range(rand, -20, 20), .seq = seq++ };
      inf_heap_push(heap, &item, item_compare);
      g_array_append_val(model, item);
    } else {
      g_array_sort(model, item_compare);
      Item want = g_array_index(model, Item, 0);
      g_array_remove_index(model, 0);
      Item got = { 0 };
      g_assert_true(inf_heap_pop(heap, &got, item_compare));
      g_assert_cmpint(got.key, ==, want.key);
      g_assert_cmpuint(got.seq, ==, want.seq);
    }
    g_assert_cmpuint(heap->len, ==, model->len);
    if (heap->len > 0) {
      g_array_sort(model, item_compare);
      g_assert_cmpuint(g_array_index(heap, Item, 0).seq, ==, g_array_index(model, Item, 0).seq);
    }
  }
  /* Drained: ascending, then empty. */
  Item previous = { .key = G_MININT };
  Item got;
  guint popped = 0;
  while (inf_heap_pop(heap, &got, item_compare)) {
    g_assert_cmpint(item_compare(&previous, &got), <, 0);
    previous = got;
    popped++;
  }
  g_assert_cmpuint(popped, ==, model->len);
  g_array_unref(model);
  g_array_unref(heap);
  g_rand_free(rand);
}

/* Equal keys come out first-in, first-out when the sequence number is
 * compared last. */
static void
test_ties(void)
{
  GArray *heap = g_array_new(FALSE, FALSE, sizeof(Item));
  for (guint i = 0; i < 10; i++) {
    Item item = { .key = i % 2 == 0 ? 1 : 0, .seq = i };
    inf_heap_push(heap, &item, item_compare);
  }
  const guint want[] = { 1, 3, 5, 7, 9, 0, 2, 4, 6, 8 };
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    Item got;
    g_assert_true(inf_heap_pop(heap, &got, item_compare));
    g_assert_cmpuint(got.seq, ==, want[i]);
  }
  g_array_unref(heap);
}

/* Elements larger than the implementation's stack buffer move intact. */
typedef struct {
  gint key;
  char text[1000];
} Big;

static gint
big_compare(gconstpointer a, gconstpointer b)
{
  return int_compare(&((const Big *)a)->key, &((const Big *)b)->key);
}

static void
test_large_elements(void)
{
  GArray *heap = g_array_new(FALSE, FALSE, sizeof(Big));
  const gint keys[] = { 5, 3, 9, 1, 7, 2, 8 };
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
    Big big = { .key = keys[i] };
    g_snprintf(big.text, sizeof big.text, "item %d", keys[i]);
    memset(big.text + 100, 'x', 800);
    inf_heap_push(heap, &big, big_compare);
  }
  const gint want[] = { 1, 2, 3, 5, 7, 8, 9 };
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    Big got;
    g_assert_true(inf_heap_pop(heap, &got, big_compare));
    g_assert_cmpint(got.key, ==, want[i]);
    g_autofree char *label = g_strdup_printf("item %d", want[i]);
    g_assert_cmpstr(got.text, ==, label);
    g_assert_cmpint(got.text[899], ==, 'x');
  }
  g_array_unref(heap);
}

/* An empty heap pops nothing and leaves the output alone; NULL drops the
 * element. */
static void
test_empty_and_drop(void)
{
  GArray *heap = g_array_new(FALSE, FALSE, sizeof(gint));
  gint out = 42;
  g_assert_false(inf_heap_pop(heap, &out, int_compare));
  g_assert_cmpint(out, ==, 42);

  const gint values[] = { 4, 1, 3 };
  for (guint i = 0; i < G_N_ELEMENTS(values); i++)
    inf_heap_push(heap, &values[i], int_compare);
  g_assert_cmpint(g_array_index(heap, gint, 0), ==, 1);
  g_assert_true(inf_heap_pop(heap, NULL, int_compare));
  g_assert_cmpuint(heap->len, ==, 2);
  g_assert_cmpint(g_array_index(heap, gint, 0), ==, 3);
  g_assert_true(inf_heap_pop(heap, &out, int_compare));
  g_assert_cmpint(out, ==, 3);
  g_assert_true(inf_heap_pop(heap, &out, int_compare));
  g_assert_cmpint(out, ==, 4);
  g_assert_false(inf_heap_pop(heap, &out, int_compare));
  g_array_unref(heap);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/heap/order", test_order);
  g_test_add_func("/heap/ties", test_ties);
  g_test_add_func("/heap/large-elements", test_large_elements);
  g_test_add_func("/heap/empty-and-drop", test_empty_and_drop);
  return g_test_run();
}
