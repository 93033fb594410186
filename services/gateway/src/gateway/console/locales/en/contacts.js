// The contacts' words: contacts-list.js, contact-card.js.

export default {
};
