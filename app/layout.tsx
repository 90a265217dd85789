import type { ReactNode } from "react";
import { TRPCReactProvider } from "../components/trpc/client";
import "./globals.css";

export const metadata = {
  title: "Gatehouse",
  description: "Identity-aware gateway between AI agents and production data",
  icons: { icon: { url: "/favicon.ico", type: "image/svg+xml" } },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
