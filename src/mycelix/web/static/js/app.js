// Every page: the header's wallet controls and a page view. Page scripts import what they need.
import { track } from "./analytics.js";
import { mountHeader } from "./header.js";

mountHeader();
track("page_view");
