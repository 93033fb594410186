// The API's types, named once for the console's modules (JSDoc only: nothing here runs).
// They come from the gateway's API document through `make api-types`, which also type-checks
// every module of the console against them.

/** @typedef {import("../../../../../clients/typescript/generated/gateway").components["schemas"]} Schemas */
/** @typedef {import("../../../../../clients/typescript/generated/gateway").paths} Paths */
/** @typedef {Schemas["OrderPage"]} OrderPage */
/** @typedef {Schemas["OrderSummary"]} OrderSummary */
/** @typedef {Schemas["OrderCard"]} OrderCard */
/** @typedef {Schemas["LineView"]} LineView */
/** @typedef {Schemas["OrderPayments"]} OrderPayments */
/** @typedef {Schemas["PaymentCard"]} PaymentCard */
/** @typedef {Schemas["OrderHistory"]} OrderHistory */
/** @typedef {Schemas["HistoryEntry"]} HistoryEntry */
/** @typedef {Schemas["NotificationPage"]} NotificationPage */
/** @typedef {Schemas["NotificationSummary"]} NotificationSummary */
/** @typedef {Schemas["MarkPaidBody"]} MarkPaidBody */
/** @typedef {Schemas["Problem"]} Problem */
/** @typedef {Schemas["PipelineList"]} PipelineList */
/** @typedef {Schemas["ProductList"]} ProductList */
/** @typedef {Schemas["OfferList"]} OfferList */
/** @typedef {Schemas["PipelineView"]} PipelineView */
/** @typedef {Schemas["OrderChanges"]} OrderChanges */
/** @typedef {Schemas["PaymentPatch"]} PaymentPatch */
/** @typedef {Schemas["NewPaymentBody"]} NewPaymentBody */
/** @typedef {Schemas["NewOrder"]} NewOrder */
/** @typedef {Schemas["LineFields"]} LineFields */
/** @typedef {Schemas["LineChanges"]} LineChanges */
/** @typedef {Schemas["NewLine"]} NewLine */
/** @typedef {Schemas["NotificationCard"]} NotificationCard */
/** @typedef {Schemas["PaymentFields"]} PaymentFields */
/** @typedef {Schemas["ContactPage"]} ContactPage */
/** @typedef {Schemas["ContactCard"]} ContactCard */
/** @typedef {Schemas["ProductCard"]} ProductCard */
/** @typedef {Schemas["OfferCard"]} OfferCard */
/** @typedef {Schemas["ContactChanges"]} ContactChanges */
/** @typedef {Schemas["SchoolCard"]} SchoolCard */
/** @typedef {Schemas["SchoolIn"]} SchoolIn */
/** @typedef {Schemas["SchoolSettingsView"]} SchoolSettingsView */
/** @typedef {Schemas["SchoolSettings"]} SchoolSettings */
/** @typedef {Schemas["StageView"]} StageView */
/** @typedef {Schemas["StageFields"]} StageFields */
/** @typedef {Schemas["NewPipeline"]} NewPipeline */
/** @typedef {Schemas["PipelineChanges"]} PipelineChanges */
/** @typedef {Schemas["ProviderSettingsView"]} ProviderSettingsView */
/** @typedef {Schemas["ReminderSchedule"]} ReminderSchedule */
/** @typedef {Schemas["TemplateList"]} TemplateList */
/** @typedef {Schemas["TemplateSummary"]} TemplateSummary */
/** @typedef {Schemas["TemplateView"]} TemplateView */
/** @typedef {Schemas["Preview"]} LetterPreview */
/** @typedef {Schemas["OverrideBody"]} OverrideBody */
/** @typedef {Schemas["ProductIn"]} ProductIn */
/** @typedef {Schemas["ProductPatch"]} ProductPatch */
/** @typedef {Schemas["ModuleIn"]} ModuleIn */
/** @typedef {Schemas["OfferPatch"]} OfferPatch */
/** @typedef {Schemas["OfferIn"]} OfferIn */
/** @typedef {Schemas["OfferItemIn"]} OfferItemIn */
/** @typedef {Schemas["PlanPaymentIn"]} PlanPaymentIn */
/** @typedef {NonNullable<Paths["/api/v1/orders"]["get"]["parameters"]["query"]>} OrderFilters */

export {};
