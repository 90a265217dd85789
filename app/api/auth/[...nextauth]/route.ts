import { handlers } from "../../../../server/auth/index";

export const dynamic = "force-dynamic";
export const { GET, POST } = handlers;
