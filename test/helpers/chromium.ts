/** @module Headless Debian Chromium for the dashboard tests, through playwright-core (no browser download). */
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_PATH } from "../../scripts/test/components.ts";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}
