// The catalog's words: catalog.js, product-editor.js, offer-editor.js.

export default {
};
