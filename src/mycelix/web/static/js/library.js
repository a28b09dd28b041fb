// The listener library: rendered on the server for the signed-in address; this script offers
// "Connect and sign in" when signed out, re-renders when the header's session changes, and
// runs the listening balance's top-up form.
import { followSession } from "./dashboard.js";
import { mountTopUp } from "./topup.js";

followSession();
mountTopUp();
