// The orders list's and the board's words: orders-list.js, orders-filters.js, columns.js, board.js, view-toggle.js, new-order.js.

export default {
};
