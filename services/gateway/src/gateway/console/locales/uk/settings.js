// The settings' words: settings.js, school-settings.js, pipelines-settings.js, providers-settings.js, reminder-schedule.js, templates-list.js, template-editor.js.

export default {
};
