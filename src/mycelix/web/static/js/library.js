// The listener library: rendered on the server for the signed-in address; this script offers
// "Connect and sign in" when signed out and re-renders when the header's session changes.
import { followSession } from "./dashboard.js";

followSession();
