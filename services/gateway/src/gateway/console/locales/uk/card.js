// The order card's words: order-card.js, order-edit.js, payments-block.js, line-edit.js, access-terms.js, email-actions.js, letter-frame.js.

export default {
};
